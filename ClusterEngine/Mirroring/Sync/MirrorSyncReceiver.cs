using System.Collections.Concurrent;
using ClusterEngine.Backplane;

namespace ClusterEngine.Mirroring.Sync;

/// <summary>
/// The alternate's side of <c>MirrorSync</c> (docs/architecture.md §8): reassembles snapshots that span several parts, merges
/// each completed snapshot into the <see cref="MirrorStore"/> (which persists it) and acknowledges it. Idempotent:
/// a repeated snapshot is <see cref="MirrorSyncStatus.AlreadyCurrent"/>. A node that is the client's primary in its
/// own view refuses (a stale former primary must not overwrite the serving node's mirror), and so does one that is sent
/// a snapshot at sequence 0 (no state) or with an entry without a key. A snapshot still incomplete after more entries than any mirror may hold
/// (<see cref="MirrorOptions.MaxEntriesPerClient"/>'s upper limit) is dropped and refused, so no sender can grow it without end.
/// </summary>
public sealed class MirrorSyncReceiver
{
    private readonly MirrorStore _store;
    private readonly ClusterState _state;
    private readonly ConcurrentDictionary<(string From, string ClientId), Pending> _pending = new();

    /// <summary>Creates the receiver over this node's mirrors and cluster view.</summary>
    /// <param name="store">This node's mirrors (the only writer).</param>
    /// <param name="state">This node's cluster view, for the role check.</param>
    public MirrorSyncReceiver(MirrorStore store, ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(state);
        (_store, _state) = (store, state);
    }

    /// <summary>Applies a batch from <paramref name="fromNodeId"/>; answers one acknowledgement per completed snapshot.</summary>
    /// <param name="fromNodeId">The authenticated sending peer.</param>
    /// <param name="batch">The batch.</param>
    /// <returns>The acknowledgements.</returns>
    public MirrorSyncReply Receive(string fromNodeId, MirrorSyncBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var acks = new List<MirrorSyncAck>();
        foreach (var part in batch.Parts ?? [])
        {
            var snapshot = part.Snapshot;
            if (snapshot?.ClientId is null)
            {
                continue;
            }

            var key = (fromNodeId, snapshot.ClientId);
            if (part.More)
            {
                var pending = _pending.GetOrAdd(key, _ => new Pending(snapshot.Sequence));
                if (pending.Sequence != snapshot.Sequence)
                {
                    _pending[key] = pending = new Pending(snapshot.Sequence); // a newer snapshot replaces an unfinished one
                }

                pending.Entries.AddRange(snapshot.Entries ?? []);
                if (pending.Entries.Count > MirrorOptionsValidator.MaxEntriesLimit)
                {
                    // More than any node's mirror may hold: a sender that never finishes; drop what it sent so far.
                    _pending.TryRemove(key, out _);
                    acks.Add(new MirrorSyncAck(snapshot.ClientId, MirrorSyncStatus.Refused, _store.Mirror.CurrentSequence(snapshot.ClientId)));
                }

                continue;
            }

            if (_pending.TryRemove(key, out var earlier) && earlier.Sequence == snapshot.Sequence)
            {
                snapshot = snapshot with { Entries = [.. earlier.Entries, .. snapshot.Entries ?? []] };
            }

            acks.Add(Apply(snapshot));
        }

        return new MirrorSyncReply(_state.LocalNodeId, acks);
    }

    private MirrorSyncAck Apply(MirrorSnapshot snapshot)
    {
        if (_state.GetAssignment(snapshot.ClientId)?.Primary == _state.LocalNodeId
            || snapshot.Sequence == 0 || snapshot.Entries?.Any(e => e.Key is null) == true) // malformed (a peer's bug or a forgery)
        {
            return new MirrorSyncAck(snapshot.ClientId, MirrorSyncStatus.Refused, _store.Mirror.CurrentSequence(snapshot.ClientId));
        }

        var status = _store.Merge(snapshot with { Entries = snapshot.Entries ?? [] }) switch
        {
            MergeResult.Applied => MirrorSyncStatus.Applied,
            MergeResult.AlreadyCurrent => MirrorSyncStatus.AlreadyCurrent,
            MergeResult.Stale => MirrorSyncStatus.Stale,
            _ => MirrorSyncStatus.NeedsFullSync,
        };
        return new MirrorSyncAck(snapshot.ClientId, status, _store.Mirror.CurrentSequence(snapshot.ClientId));
    }

    private sealed class Pending(ulong sequence)
    {
        public ulong Sequence { get; } = sequence;

        public List<MirrorEntry> Entries { get; } = [];
    }
}
