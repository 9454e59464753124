using System.Collections.Concurrent;
using System.Threading.Channels;
using ClusterEngine.Events;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Backplane;

/// <summary>
/// The backplane of one node (DESIGN.md §7; patent Fig. 8, item 855): a SignalR client connection to
/// every peer's hub (full mesh), status heartbeats, assignment deltas, offers, member gossip,
/// catch-up, and the failure detector's verdicts applied to the view (a Down node's clients are
/// failed over by their alternates, each acting for itself).
/// </summary>
public sealed partial class ClusterBackplane : BackgroundService, IClusterChangeSink, IHostedLifecycleService, Origin.IItemChangeNotifier
{
    private readonly ClusterNode _node;
    private readonly MemberList _members;
    private readonly FailureDetector _detector;
    private readonly PeerCredentials _credentials;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterBackplane> _logger;
    private readonly ConcurrentDictionary<string, PeerConnection> _peers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _caughtUp = new(StringComparer.Ordinal);
    private readonly Channel<AssignmentDelta> _outbox = Channel.CreateUnbounded<AssignmentDelta>();
    private long _statusSequence;
    private volatile NodeState _selfState = NodeState.Joining;
    private long _joinStarted;
    private readonly LocalNodeAddress _address;
    private string _selfUrl = "";
    private readonly ClusterEventFeed _feed;
    private readonly INodeTrafficSource? _traffic;
    private readonly ConcurrentDictionary<string, NodeTraffic> _peerTraffic = new(StringComparer.Ordinal);

    /// <summary>Creates the backplane of <paramref name="node"/>; it starts as a hosted service.</summary>
    /// <param name="node">The local node.</param>
    /// <param name="members">The gossiped member list.</param>
    /// <param name="detector">The failure detector.</param>
    /// <param name="credentials">Peer credentials from the cluster key.</param>
    /// <param name="address">This node's advertised address, once known.</param>
    /// <param name="options">Cluster options.</param>
    /// <param name="time">Clock.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="feed">Event feed that receives node joined/down/added/removed/changed and reconciled events.</param>
    /// <param name="traffic">The local node's traffic counters, sent in heartbeats (none registered: no traffic shown).</param>
    public ClusterBackplane(ClusterNode node, MemberList members, FailureDetector detector, PeerCredentials credentials,
        LocalNodeAddress address, IOptions<ClusterOptions> options, TimeProvider time, ILogger<ClusterBackplane> logger,
        ClusterEventFeed feed, IEnumerable<INodeTrafficSource> traffic)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _members, _detector, _credentials, _options, _time, _logger) = (node, members, detector, credentials, options.Value, time, logger);
        _address = address;
        _feed = feed;
        _traffic = traffic?.FirstOrDefault();
        _members.Changed += OnMembersChanged;
    }

    /// <summary>
    /// A node's item-traffic totals: this node's from its counters, a peer's from its last heartbeat;
    /// null when not known (yet).
    /// </summary>
    public NodeTraffic? TrafficOf(string nodeId) =>
        nodeId == Self ? _traffic?.Current : _peerTraffic.GetValueOrDefault(nodeId);

    private ClusterState State => _node.State;

    private string Self => _node.NodeId;

    /// <summary>This node's own state: Joining until caught up with its reachable peers, Up, then Leaving on shutdown.</summary>
    public NodeState SelfState => _selfState;

    /// <summary>Peers with an open connection.</summary>
    public IEnumerable<string> ConnectedPeers => _peers.Values.Where(p => p.IsConnected).Select(p => p.NodeId);

    /// <inheritdoc />
    public void OnAssignmentsChanged(IReadOnlyList<AssignmentDelta> changes, bool local)
    {
        if (local)
        {
            foreach (var change in changes)
            {
                _outbox.Writer.TryWrite(change);
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var url = await _address.Resolved.WaitAsync(stoppingToken);
        _joinStarted = _time.GetTimestamp();
        _selfUrl = url;
        await JoinSeedsAsync(stoppingToken);
        RegisterSelf(url);
        OnMembersChanged(_members.All);
        var sender = Task.Run(() => SendLoop(stoppingToken), CancellationToken.None);
        try
        {
            await TickLoop(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }

        await sender;
    }

    private void RegisterSelf(string url)
    {
        var self = State.GetNode(Self)!;
        var existing = _members.Get(Self);
        if (existing is { Removed: true })
        {
            State.SetState(Self, NodeState.Left); // removed by an operator: stays out until added again
            _selfState = NodeState.Left;
            return;
        }

        if (existing is null || existing.Url != url)
        {
            _members.Update(new MemberRecord(Self, url, self.Name, existing?.Capacity ?? self.Capacity,
                existing?.Order ?? (_options.Seeds.Count == 0 ? 0 : _members.NextOrder()), existing?.Mode ?? NodeMode.Active, false, 0, Self), Self);
        }

        State.SetState(Self, NodeState.Joining);
    }

    private async Task TickLoop(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.TickInterval, _time);
        var lastTick = _time.GetTimestamp();
        var lastHeartbeat = 0L;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = _time.GetTimestamp();
            if (_time.GetElapsedTime(lastTick, now) > _options.FailureTimeout && _selfState == NodeState.Up)
            {
                // Our own clock skipped: we were frozen. Serve nobody as primary until caught up again (DESIGN.md §7).
                LogFrozen(Self, _time.GetElapsedTime(lastTick, now).TotalMilliseconds);
                SetSelf(NodeState.Joining);
                _detector.ForgiveSilence();
                _caughtUp.Clear();
                _joinStarted = now;
                foreach (var peer in _peers.Values.Where(p => p.IsConnected))
                {
                    _ = CatchUpAsync(peer);
                }
            }

            lastTick = now;
            Volatile.Write(ref _lastTick, now);
            UpdateQuorum();
            ApplyVerdicts();
            if (_selfState == NodeState.Joining && IsCaughtUp())
            {
                SetSelf(NodeState.Up);
                _node.Publish(State.AssignMissingAlternates(Self), local: true);
            }

            if (_time.GetElapsedTime(lastHeartbeat, now) >= _options.HeartbeatInterval)
            {
                lastHeartbeat = now;
                await BroadcastStatusAsync(stoppingToken);
            }
        }
    }

    /// <summary>
    /// True while this node may serve clients as primary: it is Up (or handing over while Leaving), its
    /// side of any partition has the quorum, and (when Up) its tick loop has run within <see cref="ClusterOptions.FailureTimeout"/>.
    /// The last condition closes the window right after a freeze (SIGSTOP/SIGCONT, a long pause): request
    /// threads can run before the tick loop notices the skipped time and turns the node to Joining, and
    /// must not serve from the view they held before the freeze (DESIGN.md §7).
    /// </summary>
    public bool CanServe => _hasQuorum && (_selfState is NodeState.Leaving or NodeState.Left || (_selfState == NodeState.Up && !TickOverdue));

    private bool TickOverdue => Volatile.Read(ref _lastTick) is var last and not 0 && _time.GetElapsedTime(last) > _options.FailureTimeout;

    private long _lastTick;

    private volatile bool _hasQuorum = true;

    private void UpdateQuorum()
    {
        var members = _members.All.Where(m => !m.Removed).Select(m => m.NodeId).ToList();
        var quorum = Quorum.HasQuorum(members,
            id => id == Self || _detector.StateOf(id) is NodeState.Up or NodeState.Suspect or NodeState.Joining or NodeState.Leaving,
            id => id != Self && (_detector.IsKnownStopped(id) || _detector.StateOf(id) == NodeState.Left));
        if (quorum != _hasQuorum)
        {
            _hasQuorum = quorum;
            LogQuorum(Self, quorum);
        }
    }

    /// <summary>Caught up when every live (not Down) peer has sent us its snapshot, or nobody answered within the failure timeout.</summary>
    private bool IsCaughtUp()
    {
        var pending = _members.All.Where(m => !m.Removed && m.NodeId != Self && _detector.StateOf(m.NodeId) != NodeState.Down && !_caughtUp.ContainsKey(m.NodeId));
        return !pending.Any() || _time.GetElapsedTime(_joinStarted) > _options.FailureTimeout * 2;
    }

    private void SetSelf(NodeState state)
    {
        var previous = _selfState;
        _selfState = state;
        State.SetState(Self, state);
        LogSelfState(Self, state);
        if (previous != state)
        {
            PublishStateEvent(Self, state);
        }
    }

    /// <summary>Puts a node's liveness change on the event feed (DESIGN.md §10): Up → joined, Down → down, Left → removed.</summary>
    private void PublishStateEvent(string nodeId, NodeState state)
    {
        var kind = state switch
        {
            NodeState.Up => ClusterEventKind.NodeJoined,
            NodeState.Down => ClusterEventKind.NodeDown,
            NodeState.Left => ClusterEventKind.NodeRemoved,
            _ => (ClusterEventKind?)null,
        };
        if (kind is { } k)
        {
            _feed.Publish(k, nodeId, detail: $"{nodeId} is {state}");
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
                PublishStateEvent(nodeId, state);
            }

            if (_selfState != NodeState.Up || !_hasQuorum)
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

    private async Task BroadcastStatusAsync(CancellationToken cancellationToken)
    {
        var self = State.GetNode(Self)!;
        var status = new StatusMessage(Self, self.Incarnation, Interlocked.Increment(ref _statusSequence), _selfState,
            self.InFlight, self.MaxConcurrentRequests, self.PrimaryCount, self.AlternateCount, State.Clock, _members.Digest, _traffic?.Current);
        await Task.WhenAll(_peers.Values.Select(p => p.SendAsync(BackplaneMethods.Status, status, cancellationToken)));
    }

    private async Task SendLoop(CancellationToken stoppingToken)
    {
        var batch = new List<AssignmentDelta>(BackplaneMethods.BatchSize);
        while (await WaitForOutbox(stoppingToken))
        {
            while (batch.Count < BackplaneMethods.BatchSize && _outbox.Reader.TryRead(out var delta))
            {
                batch.Add(delta);
            }

            var message = batch.ToArray();
            batch.Clear();
            await Task.WhenAll(_peers.Values.Select(p => p.SendAsync(BackplaneMethods.AssignmentChanged, message, CancellationToken.None)));
        }
    }

    private async Task<bool> WaitForOutbox(CancellationToken stoppingToken)
    {
        try
        {
            return await _outbox.Reader.WaitToReadAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: whatever is still queued is sent by FlushAsync during the graceful leave.
            return false;
        }
    }
}
