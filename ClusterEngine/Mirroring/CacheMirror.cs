using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Mirroring;

/// <summary>
/// A node's mirrors of its clients' caches (patent Fig. 9 and 10; docs/architecture.md §8): per client and item key,
/// the validator and size the client holds; at most <see cref="MirrorOptions.MaxEntriesPerClient"/> entries
/// per client, least recently used out. Thread-safe; one lock per client; plain in-memory decisions.
/// </summary>
/// <remarks>
/// "Never a wrong 304": each client's mirror has a sequence number that changes on every change. Every
/// answer carries it; the client echoes the last one it received; the mirror vouches for the client
/// (<see cref="Decide"/>) only when the echo equals its current sequence. A <see cref="Record"/> with an
/// older echo of the same history first drops the entries changed after that echo (answers the client may
/// not have received); any other echo (none, an alternate that is behind, another history) empties the
/// mirror and starts a new history. A mirror that received its history by <see cref="Merge"/> continues it
/// under a new number (an alternate after failover never reuses a number the old primary may have sent).
/// Sequence 0 never names a mirror state.
/// The client's side is the contract's <see cref="ClusterPortal.Client.Contract.MirrorSequence.Adopts"/>: adopt an
/// answer's sequence only if the client's last sequence still is the one it echoed on that request (always true for
/// one request at a time); a 304 whose ETag is not the stored copy's changes nothing (RFC 9111 §4.3.4). When to
/// record and when to vouch is <see cref="ItemAnswerRule"/>.
/// </remarks>
public sealed class CacheMirror
{
    private readonly ConcurrentDictionary<string, ClientMirror> _clients = new(StringComparer.Ordinal);
    private readonly Func<string, ClientMirror> _create;
    private readonly ClientMirror.Shared _shared;

    /// <summary>Creates an empty set of mirrors.</summary>
    /// <param name="options">Mirror options; <see cref="MirrorOptions.MaxEntriesPerClient"/> bounds each client.</param>
    public CacheMirror(IOptions<MirrorOptions> options)
        : this(options, MirrorLineage.NewLineage)
    {
    }

    internal CacheMirror(IOptions<MirrorOptions> options, Func<ulong> newLineage)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxEntries = options.Value.MaxEntriesPerClient;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        var shared = new ClientMirror.Shared(maxEntries, newLineage, new ItemKeyPool()); // one key string per item across all clients (README, "Scale figures")
        _shared = shared;
        _create = _ => new ClientMirror(shared, shared.NewLineage());
    }

    /// <summary>The ids of the clients that have a mirror on this node (a copy).</summary>
    public IReadOnlyList<string> ClientIds => [.. _clients.Keys];

    /// <summary>How many clients have a mirror on this node.</summary>
    public int ClientCount => _clients.Count;

    /// <summary>
    /// Decides from the mirror alone whether the client already holds the current version of an item
    /// (patent Fig. 9 step 920 → 930/940), for a request with <c>Prefer: cache-mirror</c> and no validator.
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="key">The item key.</param>
    /// <param name="currentValidator">The validator of the item the origin has now (Fig. 9 step 910).</param>
    /// <param name="echoedSequence">The last mirror sequence the client received, or <see langword="null"/> when it sent none.</param>
    /// <returns>Use the cached copy only when the echo equals the mirror's sequence and the entry's validator is current.</returns>
    public MirrorDecision Decide(string clientId, string key, ulong currentValidator, ulong? echoedSequence)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _clients.TryGetValue(clientId, out var mirror)
            ? mirror.Decide(key, currentValidator, echoedSequence)
            : new MirrorDecision(MirrorDecisionReason.UnknownClient, 0);
    }

    /// <summary>
    /// Records that the answer being sent leaves the client holding <paramref name="validator"/> for
    /// <paramref name="key"/> (patent Fig. 9 step 950, Fig. 10 step 1070): after a 200 with the item, or a
    /// 304 on the client's own validator. Creates the client's mirror if needed; may evict its least recently used entry.
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="key">The item key; pass the origin's key instance so clients share the string.</param>
    /// <param name="validator">The validator of what the client holds after this answer.</param>
    /// <param name="sizeBytes">The item's size in bytes.</param>
    /// <param name="echoedSequence">The sequence the request echoed, or <see langword="null"/>.</param>
    /// <returns>The new sequence number: the answer must carry it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeBytes"/> is negative.</exception>
    public ulong Record(string clientId, string key, ulong validator, long sizeBytes, ulong? echoedSequence)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(sizeBytes);
        return _clients.GetOrAdd(clientId, _create).Record(key, validator, sizeBytes, echoedSequence, inProtocol: true, out _);
    }

    /// <summary>
    /// <see cref="Record(string, string, ulong, long, ulong?)"/> for a request in or outside the mirror protocol, reporting
    /// whether the mirror changed and the keys it dropped (for persistence).
    /// </summary>
    internal ulong RecordTracked(string clientId, string key, ulong validator, long sizeBytes, ulong? echoedSequence, bool inProtocol,
        out bool changed, ICollection<string>? removed) =>
        _clients.GetOrAdd(clientId, _create).Record(key, validator, sizeBytes, echoedSequence, inProtocol, out changed, removed);

    /// <summary>
    /// True when recording the answer would change nothing (the current state holds the entry and the request continues
    /// it); <paramref name="sequence"/> is then the answer's. Takes only the client's own lock, briefly.
    /// </summary>
    internal bool TryConfirm(string clientId, string key, ulong validator, long sizeBytes, ulong? echoedSequence, bool inProtocol, out ulong sequence)
    {
        sequence = 0;
        return _clients.TryGetValue(clientId, out var mirror) && mirror.TryConfirm(key, validator, sizeBytes, echoedSequence, inProtocol, out sequence);
    }

    /// <summary>Empties the client's mirror, creating it when the node has none; returns the new sequence (never 0).</summary>
    internal ulong Reset(string clientId) => _clients.GetOrAdd(clientId, _create).Clear();

    /// <summary>The client cleared its cache (<c>DELETE /api/clients/{clientId}/mirror</c>): empties its mirror.</summary>
    /// <param name="clientId">The client.</param>
    /// <returns>The new sequence number, or 0 when the node has no mirror of the client.</returns>
    public ulong Clear(string clientId) => _clients.TryGetValue(clientId, out var mirror) ? mirror.Clear() : 0;

    /// <summary>Drops the client's mirror (idle removal, reconciliation: docs/architecture.md §5, §7).</summary>
    /// <param name="clientId">The client.</param>
    /// <returns>Whether there was a mirror.</returns>
    public bool Remove(string clientId) => _clients.TryRemove(clientId, out _);

    /// <summary>The client's mirror sequence, or 0 when the node has no mirror of the client.</summary>
    /// <param name="clientId">The client.</param>
    /// <returns>The current sequence number.</returns>
    public ulong CurrentSequence(string clientId) => _clients.TryGetValue(clientId, out var mirror) ? mirror.Sequence : 0;

    /// <summary>The client's mirror entries, most recently used first (empty when the node has no mirror of the client).</summary>
    /// <param name="clientId">The client.</param>
    /// <returns>A copy of the entries.</returns>
    public IReadOnlyList<MirrorEntry> Entries(string clientId) =>
        _clients.TryGetValue(clientId, out var mirror) ? mirror.Entries() : [];

    /// <summary>
    /// What the alternate needs to catch up from <paramref name="checkpoint"/> (the last sequence it acknowledged;
    /// 0 for none): a delta of the entries changed after it, or the full mirror when entries left since then or
    /// the checkpoint is not a state of this mirror's history.
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="checkpoint">The alternate's acknowledged sequence, or 0.</param>
    /// <returns>The snapshot, or <see langword="null"/> when the node has no mirror of the client.</returns>
    public MirrorSnapshot? ChangesSince(string clientId, ulong checkpoint) =>
        _clients.TryGetValue(clientId, out var mirror) ? mirror.ChangesSince(clientId, checkpoint) : null;

    /// <summary>
    /// Sets the client's mirror to a stored state, replacing any it had (restore at start: <see cref="MirrorStore.RestoreAsync"/>): exactly
    /// <paramref name="entries"/> (least recently used first; beyond the bound the most recent are kept) at
    /// <paramref name="sequence"/>, which the mirror vouches for but does not continue (its first change forks, as after a merge).
    /// </summary>
    internal void Restore(string clientId, ulong sequence, ReadOnlySpan<MirrorEntry> entries) =>
        _clients[clientId] = ClientMirror.Restored(_shared, sequence, entries);

    /// <summary>The client's whole mirror (a full snapshot, entries least recently used first), or null when the node has none.</summary>
    /// <remarks>Sequence 0 is never a state of any mirror, so the changes since it are always the whole mirror.</remarks>
    internal MirrorSnapshot? Whole(string clientId) => ChangesSince(clientId, 0);

    /// <summary>
    /// Applies a snapshot from the primary on the alternate (docs/architecture.md §8 sync). Idempotent: a repeated snapshot
    /// is <see cref="MergeResult.AlreadyCurrent"/>, a late one <see cref="MergeResult.Stale"/>; a delta on another
    /// base is refused with <see cref="MergeResult.NeedsFullSync"/> rather than mislabel a state, and so is a snapshot at
    /// sequence 0, which names no state (nothing changes).
    /// </summary>
    /// <param name="snapshot">From <see cref="ChangesSince"/> on the primary.</param>
    /// <returns>What happened.</returns>
    public MergeResult Merge(MirrorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Sequence == 0)
        {
            // Sequence 0 names no state of any mirror (see the remarks): nothing to apply, and nothing is changed.
            return MergeResult.NeedsFullSync;
        }

        return _clients.GetOrAdd(snapshot.ClientId, _create).Merge(snapshot);
    }
}
