using System.Net.Sockets;
using ClusterEngine.Events;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.AspNetCore.SignalR.Client;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane
{
    private HelloRequest Hello(bool join)
    {
        var self = State.GetNode(Self)!;
        var record = _members.Get(Self) ?? new MemberRecord(Self, _selfUrl, self.Name, self.Capacity, 0, NodeMode.Active, false, 0, Self);
        return new(record, self.Incarnation, join);
    }

    /// <summary>
    /// Joins through <c>Cluster:Seeds</c>: asks each seed to add this node and takes its member list.
    /// A node started before its seeds retries with backoff until one answers (it stays Joining and
    /// serves nobody meanwhile); with no seeds configured it starts a cluster of its own.
    /// </summary>
    private async Task JoinSeedsAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1L; _options.Seeds.Count > 0 && !cancellationToken.IsCancellationRequested; attempt++)
        {
            foreach (var seed in _options.Seeds)
            {
                try
                {
                    var reply = await HelloOnceAsync(seed, join: true, cancellationToken);
                    _members.Merge(reply.Members);
                    LogJoined(Self, reply.NodeId);
                    return;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LogSeedUnreachable(seed, ex.Message);
                }
            }

            await Task.Delay(PeerRetryPolicy.Delay(attempt, _options.PeerRetryBaseDelay, _options.PeerRetryMaxDelay), cancellationToken);
        }
    }

    /// <summary>Opens a short-lived connection to <paramref name="url"/> and exchanges <c>Hello</c> (seed join, adding a node).</summary>
    /// <exception cref="HttpRequestException">The URL cannot be reached.</exception>
    /// <exception cref="TimeoutException">The node did not answer in time.</exception>
    public async Task<HelloReply> HelloOnceAsync(string url, bool join, CancellationToken cancellationToken)
    {
        await using var hub = new HubConnectionBuilder()
            .WithUrl($"{url.TrimEnd('/')}/hubs/backplane", Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets, o =>
            {
                o.SkipNegotiation = true;
                o.Headers[PeerCredentials.NodeHeader] = Self;
                o.Headers[PeerCredentials.AuthHeader] = _credentials.For(Self);
            }).Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.HelloTimeout);
        try
        {
            await hub.StartAsync(timeout.Token);
            return await hub.InvokeAsync<HelloReply>(BackplaneMethods.Hello, Hello(join), timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{url} did not answer the backplane within {_options.HelloTimeout.TotalSeconds:0.###} s (Cluster:HelloTimeout).");
        }
    }

    private void OnMembersChanged(IReadOnlyList<MemberRecord> changed)
    {
        foreach (var m in changed)
        {
            var existing = State.GetNode(m.NodeId);
            PublishMemberEvent(existing, m);
            var state = m.Removed ? NodeState.Left : m.NodeId == Self ? _selfState : existing?.State ?? NodeState.Joining;
            State.AddOrUpdateNode(new NodeInfo(m.NodeId, m.Url, m.Capacity, m.Name, m.Order, state, m.Mode,
                existing?.MaxConcurrentRequests ?? _options.MaxConcurrentRequests, existing?.Incarnation ?? 0));
            if (m.NodeId == Self)
            {
                if (m.Removed && _selfState != NodeState.Left)
                {
                    SetSelf(NodeState.Left); // removed by an operator: serve nobody
                }

                continue;
            }

            if (m.Removed)
            {
                _detector.Forget(m.NodeId);
                if (_peers.TryRemove(m.NodeId, out var gone))
                {
                    _ = gone.DisposeAsync().AsTask();
                }

                _node.Publish(State.FailOverNode(m.NodeId, Self), local: true);
                continue;
            }

            _detector.Watch(m.NodeId);
            if (existing is not null && existing.Mode != m.Mode && m.Mode == NodeMode.Maintenance)
            {
                _node.Publish(State.FailOverNode(m.NodeId, Self), local: true);
            }

            if (!_peers.TryGetValue(m.NodeId, out var current) || current.Url != m.Url)
            {
                Connect(m);
            }
        }

        if (changed.Any(m => m.NodeId != Self && m.Mode == NodeMode.Active))
        {
            _node.Publish(State.AssignMissingAlternates(Self), local: true);
        }
    }

    /// <summary>
    /// Puts an operator's membership change on the event feed, on every node (the change arrives here
    /// locally and through gossip): a new member → added, removed → removed, capacity or mode → changed.
    /// </summary>
    private void PublishMemberEvent(NodeStatus? existing, MemberRecord m)
    {
        if (m.Removed)
        {
            if (existing is not null && existing.State != NodeState.Left)
            {
                _feed.Publish(ClusterEventKind.NodeRemoved, m.NodeId, detail: $"{m.Name} removed from the cluster");
            }
        }
        else if (existing is null)
        {
            if (m.NodeId != Self)
            {
                _feed.Publish(ClusterEventKind.NodeAdded, m.NodeId, detail: $"{m.Name} at {m.Url}, capacity {m.Capacity}");
            }
        }
        else if (existing.Capacity != m.Capacity || existing.Mode != m.Mode)
        {
            _feed.Publish(ClusterEventKind.NodeChanged, m.NodeId, detail: $"capacity {m.Capacity}, mode {m.Mode}");
        }
    }

    private void Connect(MemberRecord member)
    {
        var peer = new PeerConnection(member.NodeId, member.Url, Self, _credentials, _options, _logger, OnPeerOpened, OnPeerDropped, OnPeerRefused);
        if (_peers.TryGetValue(member.NodeId, out var old))
        {
            _ = old.DisposeAsync().AsTask();
        }

        _peers[member.NodeId] = peer;
        _ = peer.Open();
    }

    private async Task OnPeerOpened(PeerConnection peer)
    {
        _detector.ConnectionRestored(peer.NodeId);
        LogPeerConnected(Self, peer.NodeId);
        try
        {
            var reply = await peer.Hub.InvokeAsync<HelloReply>(BackplaneMethods.Hello, Hello(join: false));
            _members.Merge(reply.Members);
            await peer.SendAsync(BackplaneMethods.Members, _members.All.ToArray()); // a node added by an operator learns the cluster here
            await CatchUpAsync(peer);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            LogSendFailed(peer.NodeId, ex.Message);
        }
    }

    /// <summary>Catch-up (DESIGN.md §7): pulls every assignment the peer holds and reconciles (patent Fig. 7).</summary>
    private async Task CatchUpAsync(PeerConnection peer)
    {
        var (merged, droppedPrimaries, droppedAlternates) = (0, 0, 0);
        await foreach (var batch in peer.Hub.StreamAsync<AssignmentDelta[]>(BackplaneMethods.Snapshot))
        {
            var result = State.Reconcile(batch);
            merged += result.Applied;
            droppedPrimaries += result.DroppedPrimaries.Count;
            droppedAlternates += result.DroppedAlternates.Count;
            if (result.Applied > 0)
            {
                _node.Publish(batch, local: false);
            }

            Reconciled?.Invoke(result);
        }

        _caughtUp[peer.NodeId] = true;
        LogCaughtUp(Self, peer.NodeId, merged);
        if (merged > 0 || droppedPrimaries > 0 || droppedAlternates > 0)
        {
            _feed.Publish(ClusterEventKind.Reconciled, Self, detail:
                $"with {peer.NodeId}: {merged} assignment(s) merged, {droppedPrimaries} primary and {droppedAlternates} alternate role(s) dropped");
        }
    }

    private void OnPeerDropped(string nodeId)
    {
        _detector.ConnectionDropped(nodeId);
        _ = ProbeAsync(nodeId);
    }

    private void OnPeerRefused(string nodeId) => _detector.Unreachable(nodeId);

    /// <summary>A dropped connection is re-checked at once: a refused TCP connect is evidence the process is gone.</summary>
    private async Task ProbeAsync(string nodeId)
    {
        if (_members.Get(nodeId) is not { } member || !Uri.TryCreate(member.Url, UriKind.Absolute, out var uri))
        {
            return;
        }

        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(_options.ProbeTimeout);
        try
        {
            await tcp.ConnectAsync(uri.Host, uri.Port, timeout.Token);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            _detector.Unreachable(nodeId);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // Not evidence either way: the heartbeat timeout decides.
        }
    }

    /// <summary>A request to <paramref name="nodeId"/> failed to connect: evidence it is gone (DESIGN.md §7).</summary>
    public void ReportUnreachable(string nodeId)
    {
        _detector.Unreachable(nodeId);

        // Down in this view at once, even if the tick loop is applying the same verdict right now:
        // the request that reported it re-routes next and must not pick the dead node again.
        var previous = State.GetNode(nodeId)?.State;
        State.SetState(nodeId, NodeState.Down);
        if (previous is not null and not NodeState.Down)
        {
            PublishStateEvent(nodeId, NodeState.Down);
        }

        ApplyVerdicts();
    }

    /// <summary>Raised after each catch-up batch is reconciled (patent Fig. 7), for mirrors and the event feed.</summary>
    public event Action<Routing.ReconciliationResult>? Reconciled;
}
