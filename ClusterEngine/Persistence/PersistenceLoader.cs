using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ClusterEngine.Persistence.Model;
using ClusterEngine.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>
/// Reads a node's persisted state back at start (docs/architecture.md §9: load, then reconcile with peers).
/// Every read streams untracked rows (<c>AsNoTracking</c>, <c>AsAsyncEnumerable</c>), so a million
/// rows cost only the records produced; <see cref="RestoreAsync"/> feeds the assignment table in
/// chunks without holding all deltas at once.
/// </summary>
public sealed class PersistenceLoader
{
    private const int ApplyChunk = 8192;


    private readonly IDbContextFactory<NodeDbContext> _factory;
    private readonly NodeDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal PersistenceLoader(IDbContextFactory<NodeDbContext> factory, NodeDatabase database, TimeProvider time, ILogger<PersistenceLoader> logger)
        => (_factory, _database, _time, _logger) = (factory, database, time, logger);

    /// <summary>Reads everything into one <see cref="NodeSnapshot"/>. Opens (and migrates) the database first.</summary>
    public async Task<NodeSnapshot> LoadAsync(CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        var members = await ToListAsync(ReadMembersAsync(cancellationToken));
        var assignments = await ToListAsync(ReadAssignmentsAsync(cancellationToken));
        var mirrors = await ReadMirrorsAsync(cancellationToken);
        var elapsedMs = _time.GetElapsedTime(started).TotalMilliseconds;
        var entryCount = 0;
        foreach (var mirror in mirrors)
        {
            entryCount += mirror.Entries.Count;
        }

        PersistenceLog.SnapshotLoaded(_logger, members.Count, assignments.Count, mirrors.Count, entryCount, elapsedMs);
        return new NodeSnapshot(members, assignments, mirrors);
    }

    /// <summary>
    /// Merges the stored members into <paramref name="members"/> and adds them to <paramref name="state"/>
    /// (as Joining until the failure detector hears from them; the local node describes itself), then
    /// merges the stored assignments by version, with the last-seen times stored for them (<see cref="ClusterState.RestoreSeen"/>).
    /// Returns the number of deltas read.
    /// </summary>
    public async Task<int> RestoreAsync(ClusterState state, MemberList? members = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var stored = await ToListAsync(ReadMembersAsync(cancellationToken));
        foreach (var member in stored.Where(m => m.NodeId != state.LocalNodeId))
        {
            state.AddOrUpdateNode(member.ToNodeInfo(NodeState.Joining));
        }

        members?.Merge(stored);

        var read = 0;
        var chunk = new List<AssignmentDelta>(ApplyChunk);
        var seen = new List<ClientSeen>(ApplyChunk);
        await using (var db = await OpenAsync(cancellationToken))
        {
            await foreach (var row in db.Assignments.AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                chunk.Add(ToDelta(row));
                if (row.Primary is not null)
                {
                    seen.Add(new ClientSeen(row.ClientId, row.LastSeenUtc.ToUnixTimeSeconds()));
                }

                if (chunk.Count == ApplyChunk)
                {
                    read += Apply(state, chunk, seen);
                }
            }
        }

        return read + Apply(state, chunk, seen);
    }

    /// <summary>Applies one chunk of stored assignments, then their stored last-seen times (docs/architecture.md §5).</summary>
    private static int Apply(ClusterState state, List<AssignmentDelta> chunk, List<ClientSeen> seen)
    {
        state.Apply(chunk);
        state.RestoreSeen(seen);
        var count = chunk.Count;
        chunk.Clear();
        seen.Clear();
        return count;
    }

    /// <summary>Streams the stored members.</summary>
    public async IAsyncEnumerable<MemberRecord> ReadMembersAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        await foreach (var m in db.Members.AsNoTracking().OrderBy(m => m.Order).ThenBy(m => m.NodeId).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            // A stored bad value (a capacity out of range, an unknown mode) must not prevent the start: clamped, warned.
            var stored = new MemberRecord(m.NodeId, m.Url, m.Name, m.Capacity, m.Order, m.Mode, m.Removed, m.Version, m.VersionNodeId, Zone: m.Zone);
            var record = MemberRecordBounds.Check(stored, out var problem);
            if (problem is not null)
            {
                PersistenceLog.StoredMemberFixed(_logger, problem);
            }

            if (record is not null)
            {
                yield return record;
            }
        }
    }

    /// <summary>Streams the stored assignments as deltas (tombstones as removal deltas), in no particular order.</summary>
    public async IAsyncEnumerable<AssignmentDelta> ReadAssignmentsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        await foreach (var a in db.Assignments.AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return ToDelta(a);
        }
    }

    /// <summary>
    /// Reads the retry tags this node stored as a claim holder (<see cref="RetryTags.Restore"/> decides which still hold). A
    /// time out of range (a damaged or edited row) is read as <see cref="DateTimeOffset.MinValue"/>: the row's window is
    /// then over, and the restore deletes it.
    /// </summary>
    public async Task<IReadOnlyList<RetryTagRecord>> ReadRetryTagsAsync(CancellationToken cancellationToken = default)
    {
        var tags = new List<RetryTagRecord>();
        await using var db = await OpenAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = """SELECT "ClientId", "Tag", "ClaimId", "GrantedAtUtc", "UntilUtc", "Registration" FROM "RetryTags" """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tags.Add(new RetryTagRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), Time(reader.GetInt64(3)), Time(reader.GetInt64(4)),
                reader.GetInt64(5)));
        }

        return tags;

        static DateTimeOffset Time(long unixMilliseconds) => unixMilliseconds is >= 0 and <= 253_402_300_799_999 // to 9999-12-31
            ? DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds)
            : DateTimeOffset.MinValue;
    }

    /// <summary>
    /// Reads every stored mirror, one whole <see cref="MirrorSnapshot"/> per client (entries least recently used first, key
    /// strings shared across clients), in no particular order. A row whose packed entries are damaged is logged
    /// (<see cref="LogEvents.StoredMirrorDamaged"/>) and left out: its client simply starts with an empty mirror.
    /// </summary>
    public async Task<IReadOnlyList<MirrorSnapshot>> ReadMirrorsAsync(CancellationToken cancellationToken = default)
    {
        var mirrors = new List<MirrorSnapshot>();
        await ReadMirrorsAsync((clientId, sequence, entries) => mirrors.Add(new MirrorSnapshot(clientId, true, 0, sequence, entries.ToArray())),
            cancellationToken);
        return mirrors;
    }

    /// <summary>
    /// The restore's way through the <c>Mirrors</c> table (a million rows in seconds): a plain data reader, each row's packed
    /// entries decoded into one reused list and handed to <paramref name="handler"/> — so what a row allocates beyond what
    /// the handler keeps is its id and its packed bytes. Damaged rows as in <see cref="ReadMirrorsAsync(CancellationToken)"/>.
    /// </summary>
    /// <returns>The number of rows handed over.</returns>
    internal async Task<int> ReadMirrorsAsync(StoredMirrorHandler handler, CancellationToken cancellationToken)
    {
        await using var db = await OpenAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = """SELECT "ClientId", "Sequence", "Entries" FROM "Mirrors" """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new MirrorEntriesCodec.KeyCache();
        var entries = new List<MirrorEntry>();
        var read = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            var clientId = reader.GetString(0);
            var sequence = unchecked((ulong)reader.GetInt64(1));
            // GetFieldValue copies the column in one call; GetBytes would open an incremental blob handle per row on SQLite
            // (sqlite3_blob_open), which took half of a million-row restore (profiled with dotnet-trace).
            var packed = reader.GetFieldValue<byte[]>(2);
            if (MirrorEntriesCodec.TryDecode(packed, keys, entries, out var problem))
            {
                handler(clientId, sequence, CollectionsMarshal.AsSpan(entries));
                read++;
            }
            else
            {
                PersistenceLog.StoredMirrorDamaged(_logger, clientId, problem!);
            }
        }

        return read;
    }

    private static AssignmentDelta ToDelta(AssignmentRow a) => new(
        a.ClientId, a.Primary, a.Alternate, new AssignmentVersion(a.VersionCounter, a.VersionNodeId), a.Bounces, a.Reason, a.Registration);

    private async Task<NodeDbContext> OpenAsync(CancellationToken cancellationToken)
    {
        await _database.EnsureReadyAsync(cancellationToken);
        return await _factory.CreateDbContextAsync(cancellationToken);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}

/// <summary>
/// Receives one stored mirror from <see cref="PersistenceLoader.ReadMirrorsAsync(StoredMirrorHandler, CancellationToken)"/>:
/// <paramref name="entries"/> (least recently used first) is valid only during the call.
/// </summary>
internal delegate void StoredMirrorHandler(string clientId, ulong sequence, ReadOnlySpan<MirrorEntry> entries);
