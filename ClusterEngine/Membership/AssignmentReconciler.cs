using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using ClusterEngine.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Keeps this node's assignments in step with its peers': merges the deltas peers broadcast (<c>AssignmentChanged</c>),
/// catches up from a peer's whole table when a connection opens, and — while this node is Joining (started, thawed
/// after a freeze, added again) — from every live peer (patent Fig. 7, steps 700–740: every role a newer assignment
/// gives to another node is dropped; a role nobody else took is kept), serves this node's table to peers catching up
/// (<c>Snapshot</c>), and tells when this node has caught up enough to turn Up: with every member that is not known to
/// have stopped (its port refused a connection) or silent past <c>FailureTimeout</c>, and with a majority of the
/// membership among itself and the peers it caught up with (peers known stopped do not count: the lone survivor rule).
/// </summary>
public sealed partial class AssignmentReconciler
{
    private readonly ClusterNode _node;
    private readonly PeerMesh _mesh;
    private readonly MemberList _members;
    private readonly FailureDetector _detector;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly InboundPeers _inbound;
    private readonly CatchUpLedger _ledger;
    private readonly ConcurrentDictionary<string, long> _pulling = new(StringComparer.Ordinal);
    private long _round;

    /// <summary>Creates the reconciler of <paramref name="node"/>.</summary>
    public AssignmentReconciler(ClusterNode node, PeerMesh mesh, InboundPeers inbound, MemberList members, FailureDetector detector,
        IOptions<ClusterOptions> options, TimeProvider time, ILogger<AssignmentReconciler> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _mesh, _inbound, _members, _detector, _options, _time, _logger) = (node, mesh, inbound, members, detector, options.Value, time, logger);
        _ledger = new CatchUpLedger(time, _options.HelloTimeout);
    }

    private ClusterState State => _node.State;

    private string Self => _node.NodeId;

    /// <summary>The current round of catching up (for tests: which round a state change happened in).</summary>
    internal long Round => Interlocked.Read(ref _round);

    /// <summary>Starts a new round of catching up (joining, thawed after a freeze, added again): no peer counts as caught up.</summary>
    public void Restart()
    {
        Interlocked.Increment(ref _round);
        _ledger.Reset();
    }

    /// <summary>
    /// True when this node may turn Up: every member other than itself has sent its snapshot in this round (pulled while
    /// the member's own connection to this node was open, so nothing it decided since can be missing; see
    /// <see cref="CatchUpLedger"/>), or is known
    /// to have stopped, or has been silent past <c>FailureTimeout</c> (or left); and this node with the peers it caught up
    /// with reach the quorum of the membership (<see cref="Quorum"/>: peers known to have stopped do not count). A member
    /// not heard from at all since this node started, whose port has not refused either, is waited for up to
    /// <c>Cluster:RestartGrace</c>: when every node restarts at once, a slow start can leave this node without its
    /// connection to a live peer for more than <c>FailureTimeout</c>, and turning Up then served the clients that peer had
    /// just taken (two primaries for about half a second in the fault suite; docs/recovery.md "Joining → Up").
    /// </summary>
    public bool IsCaughtUp()
    {
        var now = _time.GetTimestamp();
        var members = _members.All.Where(m => !m.Removed).Select(m => m.NodeId).ToList();
        foreach (var id in members)
        {
            if (id != Self && !_ledger.Counts(id, now)
                && (_detector.StateOf(id) is not (NodeState.Down or NodeState.Left) || _detector.MayBeStarting(id, _options.RestartGrace)))
            {
                return false; // a live (or not yet judged, or perhaps starting) peer has not sent its snapshot yet
            }
        }

        return Quorum.HasQuorum(members, id => id == Self || _ledger.Counts(id, now),
            id => id != Self && (_detector.IsKnownStopped(id) || _detector.StateOf(id) == NodeState.Left));
    }

    /// <summary>
    /// While joining: pulls the snapshot of every connected member not caught up with yet in this round and not being
    /// pulled already (a pull that failed is tried again here, at most once per <c>HeartbeatInterval</c> per peer).
    /// </summary>
    public void EnsureCatchUps()
    {
        var now = _time.GetTimestamp();
        foreach (var m in _members.All)
        {
            if (m.Removed || m.NodeId == Self || !_mesh.IsConnected(m.NodeId) || !_ledger.NeedsPull(m.NodeId, _inbound.StateOf(m.NodeId), now))
            {
                continue;
            }

            var last = _pulling.GetValueOrDefault(m.NodeId);
            if (last < 0 || (last > 0 && _time.GetElapsedTime(last, now) < _options.HeartbeatInterval))
            {
                continue; // in flight, or failed a moment ago
            }

            _ = TryCatchUpAsync(m.NodeId);
        }
    }

    /// <summary>Pulls every assignment <paramref name="peerNodeId"/> holds and reconciles (patent Fig. 7); publishes what changed.</summary>
    public async Task CatchUpAsync(string peerNodeId)
    {
        var round = Interlocked.Read(ref _round);
        var inboundAtStart = _inbound.StateOf(peerNodeId);
        var (merged, droppedPrimaries, droppedAlternates) = (0, 0, 0);
        await foreach (var batch in _mesh.StreamAsync<AssignmentDelta[]>(peerNodeId, BackplaneMethods.Snapshot))
        {
            var result = State.Reconcile(batch ?? []);
            merged += result.Applied;
            droppedPrimaries += result.DroppedPrimaries.Count;
            droppedAlternates += result.DroppedAlternates.Count;
            if (result.Applied > 0)
            {
                _node.Publish(batch!, local: false);
            }
        }

        var complete = Interlocked.Read(ref _round) == round
            && _ledger.Completed(peerNodeId, inboundAtStart, _inbound.StateOf(peerNodeId), _time.GetTimestamp());
        LogCaughtUp(Self, peerNodeId, merged, complete ? "" : " (its connection to this node was not open throughout: pulled again once it is)");
        _node.Publish(new Reconciled(Self, peerNodeId, merged, droppedPrimaries, droppedAlternates));
    }

    /// <summary><c>AssignmentChanged</c> deltas from a peer: merged by version; what changed is published.</summary>
    public void OnAssignmentChanged(IReadOnlyList<AssignmentDelta> deltas) => _node.Publish(State.Apply(deltas ?? []), local: false);

    /// <summary><c>Snapshot</c>: every assignment this node holds, in batches, for a peer catching up.</summary>
    public async IAsyncEnumerable<AssignmentDelta[]> Snapshot([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var chunk in State.Assignments().Chunk(BackplaneMethods.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Array.ConvertAll(chunk, PlacementCoordinator.ToDelta);
            await Task.Yield();
        }
    }

    private async Task TryCatchUpAsync(string peerNodeId)
    {
        if (!_pulling.TryUpdate(peerNodeId, -1, _pulling.GetValueOrDefault(peerNodeId)) && !_pulling.TryAdd(peerNodeId, -1))
        {
            return;
        }

        try
        {
            await CatchUpAsync(peerNodeId);
            _pulling[peerNodeId] = 0;
        }
        catch (Exception ex) when (PeerMesh.IsConnectionFailure(ex))
        {
            LogCatchUpFailed(Self, peerNodeId, ex.Message);
            _pulling[peerNodeId] = _time.GetTimestamp();
        }
    }

    [LoggerMessage(EventId = LogEvents.CaughtUp, Level = LogLevel.Information, Message = "{NodeId} caught up from {PeerId}: {Applied} assignments merged{OneWay}")]
    private partial void LogCaughtUp(string nodeId, string peerId, int applied, string oneWay);

    [LoggerMessage(EventId = LogEvents.CatchUpFailed, Level = LogLevel.Debug, Message = "{NodeId}: catching up from {PeerId} failed, tried again: {Reason}")]
    private partial void LogCatchUpFailed(string nodeId, string peerId, string reason);
}
