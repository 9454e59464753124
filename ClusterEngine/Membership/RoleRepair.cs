using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Level-triggered repair of roles (patent Fig. 6, steps 670–680; Fig. 5): whenever this node is Up and may decide
/// (<see cref="LocalNodeStatus.MayDecide"/>: the quorum, on fresh evidence), every
/// client whose primary or alternate is Down, Left (gone or removed) or in Maintenance is failed over — by the node the
/// decision belongs to (<see cref="ClusterState.FailOverNode"/>'s acting rule, so every node acting for itself reaches
/// the same result) — and every client of this node without an alternate gets one as soon as another node is eligible.
/// A verdict that came while this node was still joining, or on a minority side, is therefore applied once it can
/// decide, not lost. Cheap when nothing is wrong: the per-node role counts of the view's snapshot say which nodes still
/// hold roles; the table is scanned only for those, at once when a node turns unavailable, then at most once per
/// <c>HeartbeatInterval</c> while it still holds roles. A member this node has not heard from since it started (it may be
/// restarting with it, after a full restart) keeps its clients for <c>Cluster:RestartGrace</c> after this node is first Up.
/// </summary>
public sealed partial class RoleRepair
{
    private readonly ClusterNode _node;
    private readonly LocalNodeStatus _self;
    private readonly FailureDetector _detector;
    private readonly RestartGrace _grace;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _lastRepair = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _lastAlternates;

    /// <summary>Creates the repair of <paramref name="node"/>.</summary>
    public RoleRepair(ClusterNode node, LocalNodeStatus self, FailureDetector detector, RestartGrace grace, IOptions<ClusterOptions> options, TimeProvider time,
        ILogger<RoleRepair> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _self, _detector, _grace, _options, _time, _logger) = (node, self, detector, grace, options.Value, time, logger);
    }

    private ClusterState State => _node.State;

    /// <summary>
    /// One pass (the health monitor calls it on every tick, a request that found a peer unreachable at once): fails over
    /// what belongs to this node and gives alternates. Thread-safe.
    /// </summary>
    public void Run()
    {
        if (_self.State != NodeState.Up || !_self.MayDecide || _self.Removed)
        {
            return;
        }

        lock (_gate)
        {
            RunLocked();
        }
    }

    private void RunLocked()
    {
        var now = _time.GetTimestamp();
        _grace.Begin(now); // the restart grace counts from the first moment this node may decide (a start can take long)

        var snapshot = State.Snapshot;
        var eligible = 0;
        foreach (var node in snapshot.Nodes)
        {
            if (node.State == NodeState.Up && node.Mode == NodeMode.Active)
            {
                eligible++;
            }

            if (node.NodeId == _node.NodeId || !IsBroken(node))
            {
                _lastRepair.Remove(node.NodeId);
                continue;
            }

            if (node.PrimaryCount + node.AlternateCount == 0 || !Due(node.NodeId, now) || _grace.Holds(node.NodeId) || AliveAgain(node))
            {
                continue;
            }

            var changes = State.FailOverNode(node.NodeId, _node.NodeId);
            if (changes.Count > 0)
            {
                LogRepaired(_node.NodeId, node.NodeId, node.State, node.Mode, changes.Count);
                _node.Publish(changes, local: true);
            }
        }

        if (snapshot.ClientsWithoutAlternate > 0 && eligible >= 2 && (_lastAlternates == 0 || _time.GetElapsedTime(_lastAlternates, now) >= _options.HeartbeatInterval))
        {
            _lastAlternates = now;
            _node.Publish(State.AssignMissingAlternates(_node.NodeId), local: true);
        }
    }

    private static bool IsBroken(NodeStatus node) => node.State is NodeState.Down or NodeState.Left || node.Mode == NodeMode.Maintenance;

    /// <summary>At once the first time a node is found holding roles while unavailable, then once per heartbeat.</summary>
    private bool Due(string nodeId, long now)
    {
        if (_lastRepair.TryGetValue(nodeId, out var last) && _time.GetElapsedTime(last, now) < _options.HeartbeatInterval)
        {
            return false;
        }

        _lastRepair[nodeId] = now;
        return true;
    }

    /// <summary>
    /// A Down member with fresh evidence of life (its connection opened or it was heard since the verdict): the view still
    /// says Down until the monitor's next tick applies the detector's new verdict, and failing it over in between took the
    /// clients of a node that was just coming back (found by the full-restart test: it connected 50 ms before the repair).
    /// </summary>
    private bool AliveAgain(NodeStatus node) => node.State == NodeState.Down && _detector.IsAlive(node.NodeId);

    [LoggerMessage(EventId = LogEvents.Repaired, Level = LogLevel.Information, Message = "{NodeId} failed over {Changes} assignment(s) of {PeerId} ({State}, {Mode})")]
    private partial void LogRepaired(string nodeId, string peerId, NodeState state, NodeMode mode, int changes);
}
