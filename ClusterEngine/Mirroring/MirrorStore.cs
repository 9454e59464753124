using ClusterEngine.Persistence;

namespace ClusterEngine.Mirroring;

/// <summary>
/// The one place where the request path changes a <see cref="CacheMirror"/> (docs/architecture.md §8–9): every
/// <c>Record</c>, <see cref="Clear"/> and <see cref="Remove"/> is applied in memory and, when the node has
/// SQLite persistence, handed to the <see cref="PersistenceWriter"/> in the same order (entries the mirror dropped,
/// the recorded entry, the client's sequence). <see cref="RestoreAsync"/> loads the stored mirrors back at start.
/// </summary>
/// <remarks>
/// Changes of one client are applied and enqueued under one lock (striped by client id), so the stored rows follow
/// the in-memory order. A restored mirror keeps the sequence that reached the store (see <see cref="RestoreAsync"/>),
/// so after a restart the node still vouches for the copies a client holds at that sequence; when a change starts a
/// new lineage, every entry the mirror keeps is written again under it, so the stored rows always name the lineage of
/// the stored sequence.
/// </remarks>
public sealed class MirrorStore
{
    private const int StripeCount = 64;

    private readonly Lock[] _stripes = [.. Enumerable.Range(0, StripeCount).Select(_ => new Lock())];
    private readonly TimeProvider _time;
    private readonly PersistenceWriter? _writer;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SyncCheckpoint> _checkpoints = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _unsyncedSince = new(StringComparer.Ordinal);

    /// <summary>Creates the store over <paramref name="mirror"/>.</summary>
    /// <param name="mirror">The node's mirrors.</param>
    /// <param name="time">Clock for the entries' last-use times.</param>
    /// <param name="writer">The node's persistence writer; null (the default) when the node has no persistence.</param>
    public MirrorStore(CacheMirror mirror, TimeProvider time, PersistenceWriter? writer = null)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        ArgumentNullException.ThrowIfNull(time);
        Mirror = mirror;
        _time = time;
        _writer = writer;
    }

    /// <summary>The in-memory mirrors (reads and decisions).</summary>
    public CacheMirror Mirror { get; }

    /// <summary>The mirror decides for a <c>Prefer: cache-mirror</c> request (see <see cref="CacheMirror.Decide"/>); nothing is stored.</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="key">The item key.</param>
    /// <param name="currentValidator">The origin's current validator.</param>
    /// <param name="echoedSequence">The sequence the client echoed, or <see langword="null"/>.</param>
    /// <returns>The decision.</returns>
    public MirrorDecision Decide(string clientId, string key, ulong currentValidator, ulong? echoedSequence) =>
        Mirror.Decide(clientId, key, currentValidator, echoedSequence);

    /// <summary>Records what the answer leaves the client holding (see <see cref="CacheMirror.Record"/>) and persists the change.</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="key">The item key.</param>
    /// <param name="validator">The validator the client holds after this answer.</param>
    /// <param name="sizeBytes">The item's size in bytes.</param>
    /// <param name="echoedSequence">The sequence the request echoed, or <see langword="null"/>.</param>
    /// <returns>The new sequence the answer must carry.</returns>
    public ulong Record(string clientId, string key, ulong validator, long sizeBytes, ulong? echoedSequence) =>
        Record(clientId, key, validator, sizeBytes, echoedSequence, inProtocol: true, out _);

    /// <summary>
    /// Records what an item answer leaves the client holding (see <see cref="CacheMirror.Record"/>; a request outside the
    /// mirror protocol starts no new lineage) and persists the change. A repeat — the current state already holds the
    /// entry and the request continues it — changes nothing and stores nothing, and takes no lock but the client's own.
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="key">The item key.</param>
    /// <param name="validator">The validator the client holds after this answer.</param>
    /// <param name="sizeBytes">The item's size in bytes.</param>
    /// <param name="echoedSequence">The sequence the request echoed, or <see langword="null"/>.</param>
    /// <param name="inProtocol">Whether the request takes part in the mirror protocol (<c>Prefer: cache-mirror</c> or a sequence).</param>
    /// <param name="changed">Whether the mirror changed (only then is anything persisted or due for the alternate).</param>
    /// <returns>The sequence the answer carries.</returns>
    public ulong Record(string clientId, string key, ulong validator, long sizeBytes, ulong? echoedSequence, bool inProtocol, out bool changed)
    {
        if (Mirror.TryConfirm(clientId, key, validator, sizeBytes, echoedSequence, inProtocol, out var confirmed))
        {
            changed = false;
            return confirmed;
        }

        if (_writer is not { } writer)
        {
            var recorded = Mirror.RecordTracked(clientId, key, validator, sizeBytes, echoedSequence, inProtocol, out changed, null);
            if (changed)
            {
                _unsyncedSince.TryAdd(clientId, _time.GetTimestamp());
            }

            return recorded;
        }

        var removed = new List<string>();
        lock (Stripe(clientId))
        {
            var before = Mirror.CurrentSequence(clientId);
            var sequence = Mirror.RecordTracked(clientId, key, validator, sizeBytes, echoedSequence, inProtocol, out changed, removed);
            if (!changed)
            {
                return sequence;
            }

            foreach (var gone in removed)
            {
                writer.Enqueue(new MirrorEntryRemoved(clientId, gone));
            }

            if (MirrorLineage.IsAtOrBefore(before, sequence))
            {
                writer.Enqueue(new MirrorEntryRecord(clientId, key, validator, sizeBytes, sequence, _time.GetUtcNow()));
            }
            else
            {
                RewriteEntries(writer, clientId);
            }

            writer.Enqueue(new MirrorClientRecord(clientId, sequence, SyncedSequence(clientId)));
            _unsyncedSince.TryAdd(clientId, _time.GetTimestamp());
            return sequence;
        }
    }

    /// <summary>Whether the client's mirror has changes its alternate has not acknowledged yet.</summary>
    /// <param name="clientId">The client.</param>
    public bool HasUnsyncedChanges(string clientId) => _unsyncedSince.ContainsKey(clientId);

    /// <summary>The client cleared its cache: empties its mirror (creating an empty one when there was none) and persists that.</summary>
    /// <param name="clientId">The client.</param>
    /// <returns>The new sequence (never 0).</returns>
    public ulong Clear(string clientId)
    {
        lock (Stripe(clientId))
        {
            var sequence = Mirror.Reset(clientId);
            if (_writer is { } writer)
            {
                writer.Enqueue(new MirrorCleared(clientId));
                writer.Enqueue(new MirrorClientRecord(clientId, sequence, SyncedSequence(clientId)));
            }

            _unsyncedSince.TryAdd(clientId, _time.GetTimestamp());
            return sequence;
        }
    }

    /// <summary>Drops the client's mirror (idle removal, role loss) and its stored rows.</summary>
    /// <param name="clientId">The client.</param>
    /// <returns>Whether there was a mirror in memory.</returns>
    public bool Remove(string clientId)
    {
        lock (Stripe(clientId))
        {
            var had = Mirror.Remove(clientId);
            _checkpoints.TryRemove(clientId, out _);
            _unsyncedSince.TryRemove(clientId, out _);
            if (had)
            {
                _writer?.Enqueue(new ClientRemoved(clientId));
            }

            return had;
        }
    }

    /// <summary>
    /// Applies a <see cref="MirrorSnapshot"/> from the client's primary on this node, its alternate (docs/architecture.md §8
    /// <c>MirrorSync</c>), and persists what changed: a full snapshot replaces the stored entries. Idempotent
    /// (see <see cref="CacheMirror.Merge"/>).
    /// </summary>
    /// <param name="snapshot">The primary's snapshot.</param>
    /// <returns>What the merge did; only <see cref="MergeResult.Applied"/> writes anything.</returns>
    public MergeResult Merge(MirrorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (Stripe(snapshot.ClientId))
        {
            var result = Mirror.Merge(snapshot);
            if (result == MergeResult.Applied && _writer is { } writer)
            {
                if (snapshot.IsFull)
                {
                    writer.Enqueue(new MirrorCleared(snapshot.ClientId));
                }

                var now = _time.GetUtcNow();
                foreach (var entry in snapshot.Entries)
                {
                    writer.Enqueue(new MirrorEntryRecord(snapshot.ClientId, entry.Key, entry.Validator, entry.SizeBytes, entry.Sequence, now));
                }

                writer.Enqueue(new MirrorClientRecord(snapshot.ClientId, snapshot.Sequence, 0));
            }

            return result;
        }
    }

    /// <summary>
    /// The sync checkpoint of <paramref name="clientId"/> for <paramref name="alternate"/>: the last sequence that
    /// alternate acknowledged, or 0 when it acknowledged nothing (a new alternate gets the whole mirror).
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="alternate">The client's current alternate node id.</param>
    /// <returns>The checkpoint sequence, or 0.</returns>
    public ulong Checkpoint(string clientId, string alternate) =>
        _checkpoints.TryGetValue(clientId, out var c) && c.Alternate == alternate ? c.Sequence : 0;

    /// <summary>
    /// Whether the client's mirror has changes its alternate has not acknowledged (for the periodic sync).
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="alternate">The client's current alternate node id.</param>
    /// <returns><see langword="true"/> when the mirror's sequence differs from the alternate's checkpoint.</returns>
    public bool IsBehind(string clientId, string alternate)
    {
        var current = Mirror.CurrentSequence(clientId);
        return current != 0 && current != Checkpoint(clientId, alternate);
    }

    /// <summary>
    /// Records that <paramref name="alternate"/> acknowledged <paramref name="sequence"/> of the client's mirror
    /// and persists the checkpoint; returns the lag (time since the oldest change the alternate did not have) when
    /// the alternate is now fully in step, else <see langword="null"/>.
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="alternate">The alternate that acknowledged.</param>
    /// <param name="sequence">The acknowledged sequence.</param>
    /// <returns>Lag of the change that waited longest (wall time), or <see langword="null"/> when still behind.</returns>
    public TimeSpan? MarkSynced(string clientId, string alternate, ulong sequence)
    {
        lock (Stripe(clientId))
        {
            _checkpoints[clientId] = new SyncCheckpoint(alternate, sequence);
            var current = Mirror.CurrentSequence(clientId);
            _writer?.Enqueue(new MirrorClientRecord(clientId, current, sequence));
            if (current == sequence && _unsyncedSince.TryRemove(clientId, out var since))
            {
                return _time.GetElapsedTime(since);
            }

            return current == sequence ? TimeSpan.Zero : null;
        }
    }

    /// <summary>Clients whose mirror changed since their alternate last acknowledged (any alternate), for the sync lag gauge.</summary>
    public int UnsyncedClientCount => _unsyncedSince.Count;

    /// <summary>The ids of the clients this node holds a mirror of.</summary>
    public IReadOnlyList<string> ClientIds => Mirror.ClientIds;

    private ulong SyncedSequence(string clientId) => _checkpoints.TryGetValue(clientId, out var c) ? c.Sequence : 0;

    /// <summary>
    /// The mirror continues in a new lineage keeping its entries (a fork: it had merged the primary's history): the
    /// entries now carry the new lineage's numbers, and so must their rows, or a restore would not count them as part
    /// of the stored sequence's state (<see cref="RestoreAsync"/>). Rare: once per failover of a client.
    /// </summary>
    private void RewriteEntries(PersistenceWriter writer, string clientId)
    {
        var now = _time.GetUtcNow();
        var entries = Mirror.Entries(clientId); // most recently used first
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            writer.Enqueue(new MirrorEntryRecord(clientId, e.Key, e.Validator, e.SizeBytes, e.Sequence, now.AddMilliseconds(-i)));
        }
    }

    /// <summary>
    /// Loads the stored mirrors into <see cref="Mirror"/>, each at the sequence that reached the store, least recently
    /// used first so the bound keeps the most recent entries (patent Fig. 9 across a restart; docs/deltas.md).
    /// </summary>
    /// <remarks>
    /// <para>The writer commits changes in order, one transaction per batch, and a client's sequence row is written after
    /// the entry changes that lead to it; so the stored sequence S names a state whose changes all reached the store. An
    /// entry row belongs to that state when its own sequence is S or earlier in S's lineage; a row with a later number
    /// (a batch that ended between an entry and its sequence, before a crash) or of another lineage is not part of it:
    /// it is dropped, in memory and in the store. After a graceful stop (every write flushed) S is the last sequence
    /// the node sent; after a crash it is the last one that reached the store, and a client that echoes a later one
    /// gets 200s and a new history, never a 304 the store cannot back.</para>
    /// <para>The restored mirror vouches for S but does not continue S's numbering: its first change starts a new
    /// lineage (as an alternate that merged a history does), because after a crash the node may already have sent
    /// numbers after S for states it no longer knows.</para>
    /// <para>A client whose entries have no stored sequence (a crash before its first sequence row) is restored under a
    /// fresh lineage: its entries are back for the alternate sync and inspection, but vouch for nothing.</para>
    /// </remarks>
    /// <param name="loader">The node's persistence loader.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The number of clients restored.</returns>
    public async Task<int> RestoreAsync(PersistenceLoader loader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var sequences = new Dictionary<string, ulong>(StringComparer.Ordinal);
        await foreach (var client in loader.ReadMirrorClientsAsync(cancellationToken))
        {
            sequences[client.ClientId] = client.Sequence;
        }

        var restored = 0;
        await foreach (var stored in loader.ReadMirrorEntriesAsync(cancellationToken))
        {
            var clientId = stored[0].ClientId;
            var known = sequences.TryGetValue(clientId, out var sequence) && sequence != 0;
            if (!known)
            {
                sequence = MirrorLineage.NewLineage();
            }

            var kept = new List<MirrorEntryRecord>(stored.Count);
            foreach (var entry in stored)
            {
                if (!known || MirrorLineage.IsAtOrBefore(entry.Sequence, sequence))
                {
                    kept.Add(entry);
                }
                else
                {
                    _writer?.Enqueue(new MirrorEntryRemoved(clientId, entry.Key)); // after the stored sequence: never vouched for
                }
            }

            var entries = kept.OrderBy(e => e.LastUsed).Select(e => new MirrorEntry(e.Key, e.Validator, e.Size, known ? e.Sequence : sequence)).ToList();
            if (Mirror.Merge(new MirrorSnapshot(clientId, true, 0, sequence, entries)) == MergeResult.Applied)
            {
                restored++;
            }
        }

        return restored;
    }

    private readonly record struct SyncCheckpoint(string Alternate, ulong Sequence);

    private Lock Stripe(string clientId) => _stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(clientId) % StripeCount)];
}
