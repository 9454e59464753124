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
/// catches up from a peer's whole table when a connection opens or after a freeze (patent Fig. 7, steps 700–740: every
/// role a newer assignment gives to another node is dropped), serves this node's table to peers catching up
/// (<c>Snapshot</c>), and tells when this node has caught up with every live peer (then it may turn Up).
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
    private readonly ConcurrentDictionary<string, bool> _caughtUp = new(StringComparer.Ordinal);
    private long _joinStarted;

    /// <summary>Creates the reconciler of <paramref name="node"/>.</summary>
    public AssignmentReconciler(ClusterNode node, PeerMesh mesh, MemberList members, FailureDetector detector, IOptions<ClusterOptions> options,
        TimeProvider time, ILogger<AssignmentReconciler> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _mesh, _members, _detector, _options, _time, _logger) = (node, mesh, members, detector, options.Value, time, logger);
    }

    private ClusterState State => _node.State;

    /// <summary>Starts a new round of catching up (joining, or thawed after a freeze): no peer counts as caught up.</summary>
    public void Restart()
    {
        _caughtUp.Clear();
        _joinStarted = _time.GetTimestamp();
    }

    /// <summary>Caught up when every live (not Down) peer has sent its snapshot, or nobody answered within twice the failure timeout.</summary>
    public bool IsCaughtUp()
    {
        var pending = _members.All.Where(m => !m.Removed && m.NodeId != _node.NodeId && _detector.StateOf(m.NodeId) != NodeState.Down
            && !_caughtUp.ContainsKey(m.NodeId));
        return !pending.Any() || _time.GetElapsedTime(_joinStarted) > _options.FailureTimeout * 2;
    }

    /// <summary>Pulls every assignment <paramref name="peerNodeId"/> holds and reconciles (patent Fig. 7); publishes what changed.</summary>
    public async Task CatchUpAsync(string peerNodeId)
    {
        var (merged, droppedPrimaries, droppedAlternates) = (0, 0, 0);
        await foreach (var batch in _mesh.StreamAsync<AssignmentDelta[]>(peerNodeId, BackplaneMethods.Snapshot))
        {
            var result = State.Reconcile(batch);
            merged += result.Applied;
            droppedPrimaries += result.DroppedPrimaries.Count;
            droppedAlternates += result.DroppedAlternates.Count;
            if (result.Applied > 0)
            {
                _node.Publish(batch, local: false);
            }
        }

        _caughtUp[peerNodeId] = true;
        LogCaughtUp(_node.NodeId, peerNodeId, merged);
        _node.Publish(new Reconciled(_node.NodeId, peerNodeId, merged, droppedPrimaries, droppedAlternates));
    }

    /// <summary><c>AssignmentChanged</c> deltas from a peer: merged by version; what changed is published.</summary>
    public void OnAssignmentChanged(IReadOnlyList<AssignmentDelta> deltas) => _node.Publish(State.Apply(deltas), local: false);

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

    [LoggerMessage(EventId = 2107, Level = LogLevel.Information, Message = "{NodeId} caught up from {PeerId}: {Applied} assignments merged")]
    private partial void LogCaughtUp(string nodeId, string peerId, int applied);
}
