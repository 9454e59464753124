using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Watches the cluster's health from this node: every <c>Cluster:TickInterval</c> it applies the failure detector's
/// verdicts to the view, decides the quorum, notices that this node itself was frozen (it then serves nobody as primary
/// until caught up again), turns this node Up once caught up (<see cref="AssignmentReconciler.IsCaughtUp"/>), has the
/// <see cref="RoleRepair"/> fail over what belongs to it (patent Fig. 6, steps 670–680), and every
/// <c>Cluster:HeartbeatInterval</c> sends the <c>Status</c> heartbeat to every peer as a call: the answer is the peer's
/// own status, so a node hears its peers over its own connections too, not only over theirs back to it (a node that
/// just restarted is not left "hearing nobody" while its peers' connections to it wait out their backoff). It takes
/// the peers' heartbeats and answers them, and other evidence of their liveness.
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
    private readonly MembershipAuthority _authority;
    private readonly RoleRepair _repair;
    private readonly AntiEntropy _antiEntropy;
    private readonly NodeTrafficRelay _traffic;
    private readonly ServingLease _lease;
    private readonly PeerGuard _guard;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _statusSequence;

    /// <summary>Creates the monitor of <paramref name="node"/>.</summary>
    public ClusterHealthMonitor(ClusterNode node, MemberList members, FailureDetector detector, PeerMesh mesh, LocalNodeStatus self,
        AssignmentReconciler reconciler, MembershipAgent agent, MembershipAuthority authority, RoleRepair repair, AntiEntropy antiEntropy,
        NodeTrafficRelay traffic, ServingLease lease, PeerGuard guard, IOptions<ClusterOptions> options, TimeProvider time, ILogger<ClusterHealthMonitor> logger)
    {
        _guard = guard;
        ArgumentNullException.ThrowIfNull(options);
        (_node, _members, _detector, _mesh, _self, _reconciler, _agent, _authority) = (node, members, detector, mesh, self, reconciler, agent, authority);
        (_repair, _antiEntropy, _traffic, _lease, _options, _time, _logger) = (repair, antiEntropy, traffic, lease, options.Value, time, logger);
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

                // A lone member has nobody that could have taken its clients over while it was frozen: catching up would only
                // turn its clients away (a single node on a loaded host answered 503 in a test run; Thawed).
                var alone = IsAlone();
                _self.SetAlone(alone);
                if (alone && !IsAlone())
                {
                    // A member was applied between the read and the write: its agent cleared the flag before this write set it.
                    _self.SetAlone(false);
                }
                if (_time.GetElapsedTime(lastTick, now) > _options.SelfSilenceBudget && _self.State == NodeState.Up)
                {
                    Thawed(_time.GetElapsedTime(lastTick, now));
                }

                lastTick = now;
                _self.Ticked(now);
                UpdateQuorum();
                ApplyVerdicts();
                if (_self.State == NodeState.Joining && !_self.Removed)
                {
                    _reconciler.EnsureCatchUps();

                    // Up needs the quorum flag too (peers that hear this node: the serving lease), not only the catch-up's
                    // majority: a node added at run time turned Up before its peers' answers gave it the lease, then
                    // "regained" the quorum while Up and went back to catching up — Joining again just after every view
                    // had it Up, so it refused offers (MembershipApiTests, about one run in three).
                    if (_reconciler.IsCaughtUp() && _self.HasQuorum)
                    {
                        _self.Set(NodeState.Up);
                    }
                }

                _repair.Run();
                if (_time.GetElapsedTime(lastHeartbeat, now) >= _options.HeartbeatInterval)
                {
                    lastHeartbeat = now;
                    _authority.Maintain();
                    _ = _mesh.InvokeEachAsync<StatusReply>(BackplaneMethods.Status, OwnStatus(), _options.FailureTimeout, OnStatusReply, skipBusy: true);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>
    /// <c>Status</c> heartbeat from a peer (to this node's hub): liveness evidence, its load, its traffic, its digests. The
    /// answer is this node's own status — and its member list when the peer's membership digest differs — so the peer
    /// hears this node over its own connection and gossip flows both ways. A status of a non-member is not applied
    /// (a removed node still gets the answer: the member list that says it was removed).
    /// </summary>
    public StatusReply OnStatus(StatusMessage status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!_guard.Vouched(status.NodeId, status.Incarnation))
        {
            // A new incarnation not yet heard at the member's URL: answered (so it can admit this node), not applied.
            return new StatusReply(OwnStatus(), null);
        }

        Apply(status);
        return new StatusReply(OwnStatus(), status.MembershipDigest == _members.Digest ? null : _members.All);
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
        _repair.Run();
    }

    /// <summary>Sends this node's <c>Status</c> to every peer and waits for their answers (a graceful leave's Leaving and Left).</summary>
    public Task BroadcastStatusAsync(CancellationToken cancellationToken) =>
        _mesh.InvokeEachAsync<StatusReply>(BackplaneMethods.Status, OwnStatus(), _options.FailureTimeout, OnStatusReply, skipBusy: false).WaitAsync(cancellationToken);

    private StatusMessage OwnStatus()
    {
        var snapshot = State.Snapshot;
        var self = snapshot.Get(Self)!;
        var sequence = Interlocked.Increment(ref _statusSequence);
        _lease.Sent(sequence);
        return new StatusMessage(Self, self.Incarnation, sequence, _self.State, self.InFlight, self.MaxConcurrentRequests,
            self.PrimaryCount, self.AlternateCount, snapshot.Clock, _members.Digest, _traffic.Local, snapshot.Digest, snapshot.ClientCount,
            _lease.Hearing(_detector.TimeoutFor));
    }

    /// <summary>A peer answered our heartbeat over our own connection to it: the same evidence as its own heartbeat.</summary>
    private void OnStatusReply(string peerNodeId, StatusReply reply)
    {
        if (reply.Status?.NodeId != peerNodeId)
        {
            return; // the answer must come from the peer we asked
        }

        // This node dialled the member's own URL and the process listening there answered: its incarnation is the member's.
        _guard.AdmitIncarnation(peerNodeId, reply.Status.Incarnation);

        if (reply.Members is { Count: > 0 } members)
        {
            _agent.Merge(members);
        }

        Apply(reply.Status);
    }

    private void Apply(StatusMessage status)
    {
        if (status.NodeId == Self || _members.Get(status.NodeId) is not { Removed: false } || !_detector.Heard(status.NodeId, status.Incarnation, status.Sequence, status.State))
        {
            return;
        }

        _lease.Heard(status.NodeId, status.Incarnation, status.Sequence);
        var incarnation = State.GetNode(Self)?.Incarnation ?? 0;
        foreach (var line in status.Hearing ?? [])
        {
            if (line.NodeId == Self && _lease.Echoed(status.NodeId, line, incarnation) is { } rtt)
            {
                _detector.RoundTrip(status.NodeId, rtt);
            }
            else if (line.NodeId != Self && line.NodeId != status.NodeId && line.TimeoutMs > line.HeldMs)
            {
                // How long that third node may still hold the sender's lease, from what the sender last heard of it; one
                // heartbeat interval more for a later status the sender may have heard since it sent this one.
                _detector.OtherPeerHeard(line.NodeId, TimeSpan.FromMilliseconds(line.TimeoutMs - line.HeldMs) + _options.HeartbeatInterval);
            }
        }

        if (status.State == NodeState.Left)
        {
            _mesh.Disconnect(status.NodeId); // it left gracefully: stop re-opening; its Hello reconnects us when it is back
        }
        else if (_mesh.UrlOf(status.NodeId) is null)
        {
            // A member heard over its own connection while this node has none to it. A removed node added again sends Left
            // statuses until it learns of the add; one that arrived after the add closed the new connection above, and
            // nothing opened it again — this node's claims and offers to it then failed for minutes (found by attack:
            // 1 re-add in 4–10).
            _agent.Reconnect(status.NodeId);
        }

        State.ApplyStatus(status.NodeId, status.Incarnation, status.Sequence, status.InFlight, status.MaxConcurrentRequests);
        if (status.Traffic is { } traffic)
        {
            _traffic.Heard(status.NodeId, traffic);
        }

        _antiEntropy.OnPeerDigest(status.NodeId, status.AssignmentDigest, status.ClientCount);
    }

    /// <summary>True when no member other than this node is in the member list (removed members do not count).</summary>
    private bool IsAlone()
    {
        foreach (var member in _members.All)
        {
            if (!member.Removed && member.NodeId != Self)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// This node's own clock skipped (it was frozen): serve nobody as primary until caught up again — unless it is the only
    /// member, which nobody could have replaced meanwhile (<see cref="LocalNodeStatus.Alone"/>).
    /// </summary>
    private void Thawed(TimeSpan frozen)
    {
        if (_self.Alone)
        {
            LogFrozen(Self, frozen.TotalMilliseconds, "the only member, it serves on");
            return;
        }

        LogFrozen(Self, frozen.TotalMilliseconds, "catching up before serving");
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
    }

    /// <summary>
    /// The majority rule (<see cref="Quorum"/>) over the peers this node hears and that hear it (it holds their
    /// <see cref="ServingLease"/>). A node that regains the quorum after losing it while Up catches up before it serves again.
    /// </summary>
    private void UpdateQuorum()
    {
        var members = _members.All.Where(m => !m.Removed).Select(m => m.NodeId).ToList();
        var had = _self.HasQuorum;
        bool Hears(string id) => id == Self || (_detector.StateOf(id) is NodeState.Up or NodeState.Suspect or NodeState.Joining or NodeState.Leaving && _lease.Holds(id));
        foreach (var id in members)
        {
            if (id != Self && Hears(id))
            {
                _detector.CountsAgain(id); // a peer back from a refusal counts once it is heard, not when its port opens
            }
        }

        bool Stopped(string id) => id != Self && (_detector.StoppedUntilHeard(id) || _detector.StateOf(id) == NodeState.Left);
        var has = Quorum.HasQuorum(members, Hears, Stopped);
        if (!had && has && _self.State == NodeState.Up)
        {
            // Leave Up before the quorum shows: a request or a view read between the two would see Up with the quorum over
            // the table of before the cut, and serve as primary clients the majority moved meanwhile (PartitionTests saw
            // it at a heal, about one run in seven, while the quorum change was being logged).
            CatchUpBeforeServing();
            LogQuorumRegained(Self);
        }

        _self.SetQuorum(has);
        _self.SetFreshQuorum(Quorum.HasQuorum(members, id => Hears(id) && (id == Self || _detector.HeardRecently(id)), Stopped));
    }

    /// <summary>The detector's verdicts into the view (failovers follow in <see cref="RoleRepair"/>, once this node may decide).</summary>
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
        }
    }

    [LoggerMessage(EventId = LogEvents.PeerState, Level = LogLevel.Information, Message = "Peer {PeerId} is {State}")]
    private partial void LogPeerState(string peerId, NodeState state);

    [LoggerMessage(EventId = LogEvents.QuorumRegained, Level = LogLevel.Warning, Message = "Node {NodeId} has the quorum again: catching up before serving")]
    private partial void LogQuorumRegained(string nodeId);

    [LoggerMessage(EventId = LogEvents.Frozen, Level = LogLevel.Warning, Message = "Node {NodeId} was frozen for {Milliseconds} ms: {Consequence}")]
    private partial void LogFrozen(string nodeId, double milliseconds, string consequence);
}
