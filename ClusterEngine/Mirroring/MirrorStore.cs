using ClusterEngine.Persistence;

namespace ClusterEngine.Mirroring;

/// <summary>
/// The one place where the request path changes a <see cref="CacheMirror"/> (DESIGN.md §8–9): every
/// <see cref="Record"/>, <see cref="Clear"/> and <see cref="Remove"/> is applied in memory and, when the node has
/// SQLite persistence, handed to the <see cref="PersistenceWriter"/> in the same order (entries the mirror dropped,
/// the recorded entry, the client's sequence). <see cref="RestoreAsync"/> loads the stored mirrors back at start.
/// </summary>
/// <remarks>
/// Changes of one client are applied and enqueued under one lock (striped by client id), so the stored rows follow
/// the in-memory order. Restored mirrors start a new lineage: no sequence a client echoes from before the restart
/// matches, so a restored entry never produces a 304 by itself (never a wrong 304), while the entries are back for
/// the alternate sync and for inspection.
/// </remarks>
public sealed class MirrorStore
{
    private const int StripeCount = 64;

    private readonly Lock[] _stripes = [.. Enumerable.Range(0, StripeCount).Select(_ => new Lock())];
    private readonly TimeProvider _time;
    private readonly Lazy<PersistenceWriter?> _writer;

    /// <summary>Creates the store over <paramref name="mirror"/>; the writer is resolved on first use (absent without persistence).</summary>
    /// <param name="mirror">The node's mirrors.</param>
    /// <param name="time">Clock for the entries' last-use times.</param>
    /// <param name="services">Resolves the optional <see cref="PersistenceWriter"/>.</param>
    public MirrorStore(CacheMirror mirror, TimeProvider time, IServiceProvider services)
        : this(mirror, time, () => (PersistenceWriter?)services.GetService(typeof(PersistenceWriter)))
    {
    }

    internal MirrorStore(CacheMirror mirror, TimeProvider time, Func<PersistenceWriter?> writer)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        ArgumentNullException.ThrowIfNull(time);
        Mirror = mirror;
        _time = time;
        _writer = new Lazy<PersistenceWriter?>(writer);
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
    public ulong Record(string clientId, string key, ulong validator, long sizeBytes, ulong? echoedSequence)
    {
        if (_writer.Value is not { } writer)
        {
            return Mirror.Record(clientId, key, validator, sizeBytes, echoedSequence);
        }

        var removed = new List<string>();
        lock (Stripe(clientId))
        {
            var sequence = Mirror.RecordTracked(clientId, key, validator, sizeBytes, echoedSequence, removed);
            foreach (var gone in removed)
            {
                writer.Enqueue(new MirrorEntryRemoved(clientId, gone));
            }

            writer.Enqueue(new MirrorEntryRecord(clientId, key, validator, sizeBytes, sequence, _time.GetUtcNow()));
            writer.Enqueue(new MirrorClientRecord(clientId, sequence, 0));
            return sequence;
        }
    }

    /// <summary>The client cleared its cache: empties its mirror (creating an empty one when there was none) and persists that.</summary>
    /// <param name="clientId">The client.</param>
    /// <returns>The new sequence (never 0).</returns>
    public ulong Clear(string clientId)
    {
        lock (Stripe(clientId))
        {
            var sequence = Mirror.Reset(clientId);
            if (_writer.Value is { } writer)
            {
                writer.Enqueue(new MirrorCleared(clientId));
                writer.Enqueue(new MirrorClientRecord(clientId, sequence, 0));
            }

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
            if (had)
            {
                _writer.Value?.Enqueue(new ClientRemoved(clientId));
            }

            return had;
        }
    }

    /// <summary>
    /// Loads the stored mirrors into <see cref="Mirror"/> as full snapshots under fresh lineages (see remarks),
    /// least recently used first so the bound keeps the most recent entries.
    /// </summary>
    /// <param name="loader">The node's persistence loader.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The number of clients restored.</returns>
    public async Task<int> RestoreAsync(PersistenceLoader loader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var restored = 0;
        await foreach (var stored in loader.ReadMirrorEntriesAsync(cancellationToken))
        {
            var lineage = MirrorSequence.NewLineage();
            var entries = stored.OrderBy(e => e.LastUsed).Select(e => new MirrorEntry(e.Key, e.Validator, e.Size, lineage)).ToList();
            if (Mirror.Merge(new MirrorSnapshot(stored[0].ClientId, true, 0, lineage, entries)) == MergeResult.Applied)
            {
                restored++;
            }
        }

        return restored;
    }

    private Lock Stripe(string clientId) => _stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(clientId) % StripeCount)];
}
