using System.Security.Cryptography;
using System.Text;
using ClusterEngine.Persistence.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>What <see cref="StoreOwner.Decide"/> found.</summary>
public enum StoreOwnership
{
    /// <summary>Recorded with exactly this node's <c>Cluster:Key</c>: start, nothing to write.</summary>
    Same,

    /// <summary>New, older than the check, or recorded with one of this node's keys among others: start and record the new set.</summary>
    Record,

    /// <summary>Recorded with no key this node uses or accepts: another cluster's store. Refuse to start.</summary>
    Foreign,
}

/// <summary>
/// Which cluster a node's store belongs to. The store records fingerprints of the cluster keys it was written with (table
/// <c>StoreFacts</c>); a node started on a store recorded with no key it uses or accepts refuses to start
/// (<see cref="StoreRefusedException"/>, exit code 2) before anything is restored. Found by attack: a node restarted on
/// another cluster's data directory merged that cluster's assignments — newer registrations of the same ids — into its
/// cluster, and every device of those ids was refused everywhere (401, its token "of an earlier registration"); with
/// that cluster's member URLs it even served as a cluster of its own, so a new id got two primaries.
/// </summary>
/// <remarks>
/// A start keeps the recorded keys that are still among the node's keys and adds its <c>Cluster:Key</c>: in a key change
/// (docs/identity.md, "Changing the cluster key") round 2 records old and new, round 3 (the new key alone) keeps the new
/// one; and a node restarted by mistake with a round-2 setting can be restarted with its old setting (an attack found that
/// recording the new key alone locked it out). Two clusters that share one key cannot be told apart this way.
/// </remarks>
public sealed class StoreOwner
{
    /// <summary>The <c>StoreFacts</c> row that holds the fingerprints (comma-separated, sorted).</summary>
    public const string FingerprintFact = "ClusterKeyFingerprint";

    /// <summary>The longest recorded value read as fingerprints (more is a damaged row: no key matches it).</summary>
    private const int MaxRecorded = 1024;

    private readonly IDbContextFactory<NodeDbContext> _factory;
    private readonly NodeDatabase _database;
    private readonly NodeDatabaseTarget _target;
    private readonly IReadOnlyList<string> _keys;
    private readonly ILogger _logger;

    internal StoreOwner(IDbContextFactory<NodeDbContext> factory, NodeDatabase database, NodeDatabaseTarget target, ClusterOptions options, ILogger<StoreOwner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_factory, _database, _target, _keys, _logger) = (factory, database, target, options.Key is null ? [] : options.VerificationKeys(), logger);
    }

    /// <summary>
    /// The fingerprint of <paramref name="key"/>: HMAC-SHA256 keyed with it over a fixed label, first 16 bytes as 32 hex
    /// digits. It tells keys apart without revealing one (a reader of the store cannot sign with it).
    /// </summary>
    public static string Fingerprint(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), "ClusterPortal store owner v1"u8);
        return Convert.ToHexStringLower(mac.AsSpan(0, 16));
    }

    /// <summary>
    /// Decides from what the store recorded: <paramref name="recorded"/> (comma-separated fingerprints; null when nothing is
    /// recorded — a new store or one older than the check, taken: nothing tells whose it is) and <paramref name="keys"/>
    /// (<c>Cluster:Key</c> first, then <c>Cluster:AcceptedKeys</c>). <paramref name="toRecord"/> is what the store records
    /// from now on: the recorded fingerprints that are still among <paramref name="keys"/>, and <c>Cluster:Key</c>'s.
    /// </summary>
    public static StoreOwnership Decide(string? recorded, IReadOnlyList<string> keys, out string toRecord)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfZero(keys.Count);
        var ours = keys.Select(Fingerprint).ToList();
        toRecord = ours[0];
        if (recorded is null)
        {
            return StoreOwnership.Record;
        }

        var kept = recorded.Length > MaxRecorded ? [] : recorded.Split(',').Where(f => ours.Any(o => Same(o, f))).ToHashSet(StringComparer.Ordinal);
        if (kept.Count == 0)
        {
            return StoreOwnership.Foreign;
        }

        kept.Add(ours[0]);
        toRecord = string.Join(',', kept.Order(StringComparer.Ordinal));
        return string.Equals(toRecord, recorded, StringComparison.Ordinal) ? StoreOwnership.Same : StoreOwnership.Record;
    }

    /// <summary>
    /// Checks the store (migrating it first) and records this node's keys when <see cref="Decide"/> says so. Does nothing for
    /// a node without <c>Cluster:Key</c> (an engine without a backplane).
    /// </summary>
    /// <exception cref="StoreRefusedException">The store was recorded with no key this node uses or accepts.</exception>
    public async Task EnsureAsync(CancellationToken cancellationToken = default)
    {
        if (_keys.Count == 0)
        {
            return;
        }

        await _database.EnsureReadyAsync(cancellationToken);
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        var recorded = await ReadAsync(db, cancellationToken);
        var ownership = Decide(recorded, _keys, out var toRecord);
        if (ownership == StoreOwnership.Foreign)
        {
            var away = _target.Provider == PersistenceProvider.PostgreSql ? "drop or rename the schema" : "move the data directory away";
            throw new StoreRefusedException(
                $"the store {_target.Description} was written with a cluster key this node neither uses nor accepts (Cluster:Key, Cluster:AcceptedKeys): "
                + "it is another cluster's, or this cluster's under a key that was changed or lost. Start with the key it was written with (during a key "
                + $"change, with that key in Cluster:AcceptedKeys: docs/identity.md, \"Changing the cluster key\"); if it is another cluster's, {away} "
                + "(the node then starts empty and gets its clients from its peers).");
        }

        if (ownership == StoreOwnership.Same)
        {
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.StoreFacts.Where(f => f.Name == FingerprintFact).ExecuteDeleteAsync(cancellationToken);
        db.StoreFacts.Add(new StoreFactRow { Name = FingerprintFact, Value = toRecord });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (recorded is not null)
        {
            PersistenceLog.StoreKeyChanged(_logger, _target.Description);
        }
    }

    /// <summary>The recorded value (rows of the fact joined, should an edited table hold several; null values as none); null when none.</summary>
    private static async Task<string?> ReadAsync(NodeDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = """SELECT "Value" FROM "StoreFacts" WHERE "Name" = @name""";
        var name = command.CreateParameter();
        (name.ParameterName, name.Value) = ("@name", FingerprintFact);
        command.Parameters.Add(name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        List<string>? values = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            (values ??= []).Add(reader.IsDBNull(0) ? "" : reader.GetValue(0)?.ToString() ?? "");
        }

        return values is null ? null : string.Join(',', values);
    }

    private static bool Same(string a, string b) =>
        a.Length == b.Length && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
