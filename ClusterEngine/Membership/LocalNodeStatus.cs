using ClusterEngine.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// This node's own standing in the cluster: its state (Joining until caught up with its reachable peers, Up, Leaving
/// on shutdown, Left), whether its side of a partition has the quorum, and when the health monitor last ran. Every
/// state change is applied to the view and published (<see cref="NodeStateChanged"/>). Thread-safe.
/// </summary>
public sealed partial class LocalNodeStatus
{
    private readonly ClusterNode _node;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile NodeState _state = NodeState.Joining;
    private volatile bool _hasQuorum = true;
    private long _lastTick;

    /// <summary>Creates the status of <paramref name="node"/> (Joining, with quorum).</summary>
    public LocalNodeStatus(ClusterNode node, IOptions<ClusterOptions> options, TimeProvider time, ILogger<LocalNodeStatus> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _options, _time, _logger) = (node, options.Value, time, logger);
    }

    /// <summary>This node's own state.</summary>
    public NodeState State => _state;

    /// <summary>True while this node's side of any partition has the quorum (see <see cref="Quorum"/>).</summary>
    public bool HasQuorum => _hasQuorum;

    /// <summary>
    /// True while this node may take over other nodes' roles (failovers, <see cref="RoleRepair"/>): it has the quorum, and
    /// the peers that make it were heard within half their silence timeout. The quorum alone rests on leases, which a node
    /// cut off keeps until just before its peers find it Down; on a slow link the timeouts of two peers differ by their
    /// round trips, so such a node could find one peer Down while still holding the other's lease — and take over the
    /// clients of a peer that the majority side still serves (docs/network.md "Partitions").
    /// </summary>
    public bool MayDecide => _hasQuorum && _hasFreshQuorum;

    private volatile bool _hasFreshQuorum = true;

    /// <summary>Records whether the peers this node heard within half their silence timeout make a quorum.</summary>
    public void SetFreshQuorum(bool hasFreshQuorum) => _hasFreshQuorum = hasFreshQuorum;

    /// <summary>
    /// True while this node may serve clients as primary: it is Up (or handing over while Leaving), its side of any
    /// partition has the quorum, it has not been removed by an operator, and (when Up) the health monitor has run within
    /// <see cref="ClusterOptions.SelfSilenceBudget"/>. The last condition closes the window right after a freeze
    /// (SIGSTOP/SIGCONT, a long pause): request threads can run before the monitor notices the skipped time and turns the
    /// node to Joining, and must not serve from the view they held before the freeze, which peers may have replaced
    /// already (a peer's one-second silence counts from this node's last heartbeat, not from its last tick). A node that is
    /// the only member (<see cref="Alone"/>) has no peer that could have replaced its view, so a late tick does not stop it.
    /// </summary>
    public bool CanServe => _hasQuorum && !_removed && (IsHandingOver || (_state == NodeState.Up && (_alone || !TickOverdue)));

    /// <summary>
    /// True while this node is the only member that is not removed: no other node can take over its clients, so a late
    /// tick or a freeze of this node leaves nothing to catch up with. The health monitor sets it every tick; the
    /// membership agent clears it the moment another member's record is applied, so it is never true with a peer in the
    /// list (false, the conservative side, until the first tick).
    /// </summary>
    public bool Alone => _alone;

    private volatile bool _alone;

    /// <summary>Records whether this node is the only member that is not removed (see <see cref="Alone"/>).</summary>
    public void SetAlone(bool alone) => _alone = alone;

    /// <summary>True while this node leaves gracefully (SIGTERM): it still serves what peers forward to it (never when removed).</summary>
    public bool IsHandingOver => !_removed && _state is NodeState.Leaving or NodeState.Left;

    /// <summary>
    /// True while an operator has removed this node: it stays up, Left and not ready, serving nobody, until it is added
    /// again (then it rejoins: Joining, catch-up with every peer, Up).
    /// </summary>
    public bool Removed => _removed;

    /// <summary>Records that an operator removed this node (Left, serving nobody) or added it again.</summary>
    public void SetRemoved(bool removed)
    {
        _removed = removed;
        if (removed)
        {
            Set(NodeState.Left);
        }
    }

    private volatile bool _removed;

    private bool TickOverdue => Volatile.Read(ref _lastTick) is var last and not 0 && _time.GetElapsedTime(last) > _options.SelfSilenceBudget;

    /// <summary>Sets this node's state in the view; a change is logged and published.</summary>
    public void Set(NodeState state)
    {
        var previous = _state;
        _state = state;
        _node.State.SetState(_node.NodeId, state);
        LogSelfState(_node.NodeId, state);
        if (previous != state)
        {
            _node.Publish(new NodeStateChanged(_node.NodeId, state));
        }
    }

    /// <summary>Records the quorum verdict; a change is logged.</summary>
    public void SetQuorum(bool hasQuorum)
    {
        if (hasQuorum != _hasQuorum)
        {
            _hasQuorum = hasQuorum;
            LogQuorum(hasQuorum ? LogLevel.Information : LogLevel.Warning, _node.NodeId, hasQuorum,
                hasQuorum ? "it hears a majority of the members" : "it hears a minority of the members and serves nobody as primary");
        }
    }

    /// <summary>The health monitor ran at <paramref name="timestamp"/> (of the <see cref="TimeProvider"/>).</summary>
    public void Ticked(long timestamp) => Volatile.Write(ref _lastTick, timestamp);

    [LoggerMessage(EventId = LogEvents.SelfState, Level = LogLevel.Information, Message = "Node {NodeId} is {State}")]
    private partial void LogSelfState(string nodeId, NodeState state);

    // One event id, two levels: holding the quorum is the normal state (it was logged as a warning carrying the explanation
    // of losing it, which operators read as an alarm at every start).
    [LoggerMessage(EventId = LogEvents.Quorum, Message = "{NodeId} quorum: {HasQuorum} ({Meaning})")]
    private partial void LogQuorum(LogLevel level, string nodeId, bool hasQuorum, string meaning);
}
