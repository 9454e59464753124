using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Watches the cluster's health from this node: every <c>Cluster:TickInterval</c> it applies the failure detector's
/// verdicts to the view (a Down, Leaving or Left node's clients are failed over by the nodes acting for them, patent
/// Fig. 6, steps 670–680), decides the quorum, notices that this node itself was frozen (it then serves nobody as
/// primary until caught up again), turns this node Up once caught up, and sends the <c>Status</c> heartbeat every
/// <c>Cluster:HeartbeatInterval</c>. It also takes the peers' heartbeats and other evidence of their liveness.
/// </summary>
public sealed partial class ClusterHealthMonitor
{
    private readonly ClusterNode _node;
    private readonly MemberList _members;
    private readonly FailureDetector _detector;
    private readonly PeerMesh _mesh;
    private readonly LocalNodeStatus _self;
    private readonly AssignmentReconciler _reconciler;
    private readonly MembershipAgent _agent;
    private readonly NodeTrafficRelay _traffic;
    private readonly ServingLease _lease;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _statusSequence;

    /// <summary>Creates the monitor of <paramref name="node"/>.</summary>
    public ClusterHealthMonitor(ClusterNode node, MemberList members, FailureDetector detector, PeerMesh mesh, LocalNodeStatus self,
        AssignmentReconciler reconciler, MembershipAgent agent, NodeTrafficRelay traffic, ServingLease lease, IOptions<ClusterOptions> options,
        TimeProvider time, ILogger<ClusterHealthMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _members, _detector, _mesh, _self, _reconciler, _agent, _traffic, _lease) = (node, members, detector, mesh, self, reconciler, agent, traffic, lease);
        (_options, _time, _logger) = (options.Value, time, logger);
    }

    private ClusterState State => _node.State;

    private string Self => _node.NodeId;

    /// <summary>Runs the monitor's loop until <paramref name="stoppingToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.TickInterval, _time);
        var lastTick = _time.GetTimestamp();
        var lastHeartbeat = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = _time.GetTimestamp();
                if (_time.GetElapsedTime(lastTick, now) > _options.FailureTimeout && _self.State == NodeState.Up)
                {
                    Thawed(_time.GetElapsedTime(lastTick, now));
                }

                lastTick = now;
                _self.Ticked(now);
                UpdateQuorum();
                ApplyVerdicts();
                if (_self.State == NodeState.Joining && _reconciler.IsCaughtUp())
                {
                    _self.Set(NodeState.Up);
                    _node.Publish(State.AssignMissingAlternates(Self), local: true);
                }

                if (_time.GetElapsedTime(lastHeartbeat, now) >= _options.HeartbeatInterval)
                {
                    lastHeartbeat = now;
                    await BroadcastStatusAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary><c>Status</c> heartbeat from a peer: liveness evidence, its load, its traffic, and a member-list digest to compare.</summary>
    public void OnStatus(StatusMessage status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (_members.Get(status.NodeId) is not { Removed: false })
        {
            return;
        }

        _detector.Heard(status.NodeId, status.State);
        _lease.Heard(status.NodeId, status.Incarnation, status.Sequence);
        var incarnation = State.GetNode(Self)?.Incarnation ?? 0;
        foreach (var line in status.Hearing ?? [])
        {
            if (line.NodeId == Self && _lease.Echoed(status.NodeId, line, incarnation) is { } rtt)
            {
                _detector.RoundTrip(status.NodeId, rtt);
            }
        }
        if (status.State == NodeState.Left)
        {
            _mesh.Disconnect(status.NodeId); // it left gracefully: stop re-opening; its Hello reconnects us when it is back
        }

        State.ApplyStatus(status.NodeId, status.Incarnation, status.Sequence, status.InFlight, status.MaxConcurrentRequests);
        if (status.Traffic is { } traffic)
        {
            _traffic.Heard(status.NodeId, traffic);
        }

        if (_mesh.Has(status.NodeId))
        {
            _agent.OnPeerDigest(status.NodeId, status.MembershipDigest);
        }
    }

    /// <summary>A hub connection from a peer closed: evidence to re-check that peer at once.</summary>
    public void OnPeerDisconnected(string nodeId)
    {
        if (_members.Get(nodeId) is { Removed: false })
        {
            _ = _mesh.ProbeAsync(nodeId);
        }
    }

    /// <summary>
    /// A request to <paramref name="nodeId"/> failed to connect: evidence it may be gone, checked at once with a TCP probe
    /// (<c>Cluster:ProbeTimeout</c>). A refusal — the process is gone — makes it Down in this view at once; a peer that
    /// merely does not answer (a cut, a slow link) is left to the silence verdict, so this node never takes over the
    /// clients of a peer that may still serve them (its serving lease, docs/network.md "Partitions").
    /// </summary>
    public async Task ReportUnreachableAsync(string nodeId)
    {
        await _mesh.ProbeAsync(nodeId);
        if (!_detector.IsKnownStopped(nodeId))
        {
            return;
        }

        // Down in this view at once, even if the loop is applying the same verdict right now:
        // the request that reported it re-routes next and must not pick the dead node again.
        var previous = State.GetNode(nodeId)?.State;
        State.SetState(nodeId, NodeState.Down);
        if (previous is not null and not NodeState.Down)
        {
            _node.Publish(new NodeStateChanged(nodeId, NodeState.Down));
        }

        ApplyVerdicts();
    }

    /// <summary>Sends this node's <c>Status</c> heartbeat to every peer.</summary>
    public async Task BroadcastStatusAsync(CancellationToken cancellationToken)
    {
        var self = State.GetNode(Self)!;
        var sequence = Interlocked.Increment(ref _statusSequence);
        _lease.Sent(sequence);
        var status = new StatusMessage(Self, self.Incarnation, sequence, _self.State, self.InFlight, self.MaxConcurrentRequests,
            self.PrimaryCount, self.AlternateCount, State.Clock, _members.Digest, _traffic.Local, _lease.Hearing(_detector.TimeoutFor));
        await _mesh.BroadcastAsync(BackplaneMethods.Status, status, cancellationToken);
    }

    /// <summary>This node's own clock skipped (it was frozen): serve nobody as primary until caught up again.</summary>
    private void Thawed(TimeSpan frozen)
    {
        LogFrozen(Self, frozen.TotalMilliseconds);
        CatchUpBeforeServing();
    }

    /// <summary>
    /// This node may have missed decisions of the others (it was frozen, or on a minority side): Joining — serving nobody
    /// as primary — until it has caught up with its peers again (patent Fig. 7).
    /// </summary>
    private void CatchUpBeforeServing()
    {
        _self.Set(NodeState.Joining);
        _detector.ForgiveSilence();
        _reconciler.Restart();
        foreach (var peer in _mesh.ConnectedPeers)
        {
            _ = _reconciler.CatchUpAsync(peer);
        }
    }

    /// <summary>
    /// The majority rule (<see cref="Quorum"/>) over the peers this node hears and that hear it (it holds their
    /// <see cref="ServingLease"/>). A node that regains the quorum after losing it while Up catches up before it serves again.
    /// </summary>
    private void UpdateQuorum()
    {
        var members = _members.All.Where(m => !m.Removed).Select(m => m.NodeId).ToList();
        var had = _self.HasQuorum;
        _self.SetQuorum(Quorum.HasQuorum(members,
            id => id == Self || (_detector.StateOf(id) is NodeState.Up or NodeState.Suspect or NodeState.Joining or NodeState.Leaving && _lease.Holds(id)),
            id => id != Self && (_detector.IsKnownStopped(id) || _detector.StateOf(id) == NodeState.Left)));
        if (!had && _self.HasQuorum && _self.State == NodeState.Up)
        {
            LogQuorumRegained(Self);
            CatchUpBeforeServing();
        }
    }

    private void ApplyVerdicts()
    {
        foreach (var (nodeId, state) in _detector.Evaluate())
        {
            if (_members.Get(nodeId) is { Removed: true })
            {
                continue;
            }

            var previous = State.GetNode(nodeId)?.State;
            State.SetState(nodeId, state);
            LogPeerState(nodeId, state);
            if (previous != state)
            {
                _node.Publish(new NodeStateChanged(nodeId, state));
            }

            if (_self.State != NodeState.Up || !_self.HasQuorum)
            {
                continue; // not caught up (starting, thawed after a freeze) or on a minority side: no decisions from a partial view
            }

            if (state is NodeState.Down or NodeState.Leaving or NodeState.Left)
            {
                _node.Publish(State.FailOverNode(nodeId, Self), local: true);
            }
            else if (state == NodeState.Up)
            {
                _node.Publish(State.AssignMissingAlternates(Self), local: true);
            }
        }
    }

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Peer {PeerId} is {State}")]
    private partial void LogPeerState(string peerId, NodeState state);

    [LoggerMessage(EventId = 2114, Level = LogLevel.Warning, Message = "Node {NodeId} has the quorum again: catching up before serving")]
    private partial void LogQuorumRegained(string nodeId);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Node {NodeId} was frozen for {Milliseconds} ms: catching up before serving")]
    private partial void LogFrozen(string nodeId, double milliseconds);
}
