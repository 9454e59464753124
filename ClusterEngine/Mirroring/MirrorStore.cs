using ClusterEngine.Persistence;

namespace ClusterEngine.Mirroring;

/// <summary>
/// The one place where the request path changes a <see cref="CacheMirror"/> (docs/architecture.md §8–9): every
/// <c>Record</c>, <see cref="Clear"/> and <see cref="Remove"/> is applied in memory and, when the node has
/// persistence, handed to the <see cref="PersistenceWriter"/> as the client's whole mirror after the change (one row per
/// client: docs/persistence.md, "Mirrors: one row per client"). <see cref="RestoreAsync"/> loads the stored mirrors back at
/// start.
/// </summary>
/// <remarks>
/// Changes of one client are applied and enqueued under one lock (striped by client id), so the stored row follows the
/// in-memory order, and each stored row is a state the mirror really had: its sequence names exactly its entries. A
/// restored mirror keeps the sequence that reached the store (see <see cref="RestoreAsync"/>), so after a restart the node
/// still vouches for the copies a client holds at that sequence. Sync checkpoints are not stored: after a restart the
/// first sync of each client to its alternate is a whole mirror.
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

        lock (Stripe(clientId))
        {
            var sequence = Mirror.RecordTracked(clientId, key, validator, sizeBytes, echoedSequence, inProtocol, out changed, null);
            if (changed)
            {
                Store(writer, clientId);
                _unsyncedSince.TryAdd(clientId, _time.GetTimestamp());
            }

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
                Store(writer, clientId);
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
    /// <c>MirrorSync</c>), and persists the resulting mirror. Idempotent
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
                Store(writer, snapshot.ClientId);
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
    /// (in memory only); returns the lag (time since the oldest change the alternate did not have) when
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

    /// <summary>Queues the client's whole mirror as it is now (called under the client's stripe lock, after a change).</summary>
    private void Store(PersistenceWriter writer, string clientId)
    {
        if (Mirror.Whole(clientId) is { } whole)
        {
            writer.Enqueue(whole);
        }
    }

    /// <summary>
    /// Loads the stored mirrors into <see cref="Mirror"/>, each at the sequence that reached the store, its entries least
    /// recently used first so the bound keeps the most recent ones (patent Fig. 9 across a restart; docs/persistence.md).
    /// </summary>
    /// <remarks>
    /// <para>Each stored row is one state the mirror had — a sequence S and exactly its entries — and the writer commits in
    /// order, so S is the last state of the client that reached the store. After a graceful stop (every write flushed)
    /// S is the last sequence the node sent; after a crash it is the last one that reached the store, and a client that
    /// echoes a later one gets 200s and a new history, never a 304 the store cannot back.</para>
    /// <para>The restored mirror vouches for S but does not continue S's numbering: its first change starts a new
    /// lineage (as an alternate that merged a history does), because after a crash the node may already have sent
    /// numbers after S for states it no longer knows.</para>
    /// </remarks>
    /// <param name="loader">The node's persistence loader.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The number of clients restored.</returns>
    public async Task<int> RestoreAsync(PersistenceLoader loader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loader);
        return await loader.ReadMirrorsAsync(Restore, cancellationToken);
    }

    private void Restore(string clientId, ulong sequence, ReadOnlySpan<MirrorEntry> entries)
    {
        if (sequence != 0)
        {
            Mirror.Restore(clientId, sequence, entries);
            return;
        }

        // Sequence 0 names no state (a row written by hand, say): its entries come back under a fresh lineage that
        // vouches for nothing, still useful to the alternate sync and to inspection.
        var fresh = MirrorLineage.NewLineage();
        var renumbered = entries.ToArray();
        for (var i = 0; i < renumbered.Length; i++)
        {
            renumbered[i] = renumbered[i] with { Sequence = fresh };
        }

        Mirror.Restore(clientId, fresh, renumbered);
    }

    private readonly record struct SyncCheckpoint(string Alternate, ulong Sequence);

    private Lock Stripe(string clientId) => _stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(clientId) % StripeCount)];
}
