using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Owns this node's membership: joins through <c>Cluster:Seeds</c> (<c>Hello</c>), answers other nodes' <c>Hello</c>,
/// gossips the member list (<c>Members</c>), and applies every member-list change to the view: the node's static facts
/// (patent Fig. 11, step 1120), the failure detector's watch list, the mesh's connections, and the failovers a removal
/// or maintenance needs. Every change of the list goes through here and is published (<see cref="MemberChanged"/>).
/// </summary>
public sealed partial class MembershipAgent
{
    private readonly ClusterNode _node;
    private readonly MemberList _members;
    private readonly FailureDetector _detector;
    private readonly PeerMesh _mesh;
    private readonly LocalNodeStatus _self;
    private readonly AssignmentReconciler _reconciler;
    private readonly SeedResolver _seeds;
    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private string _selfUrl = "";

    /// <summary>Creates the agent of <paramref name="node"/>.</summary>
    public MembershipAgent(ClusterNode node, MemberList members, FailureDetector detector, PeerMesh mesh, LocalNodeStatus self,
        AssignmentReconciler reconciler, SeedResolver seeds, IOptions<ClusterOptions> options, ILogger<MembershipAgent> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _members, _detector, _mesh, _self, _reconciler, _seeds, _options, _logger) = (node, members, detector, mesh, self, reconciler, seeds, options.Value, logger);
    }

    private ClusterState State => _node.State;

    private string Self => _node.NodeId;

    /// <summary>This node's own failure zone (<c>Cluster:Zone</c>), reported in its member record.</summary>
    private string Zone => _options.Zone ?? "";

    /// <summary>
    /// Joins the cluster as <paramref name="url"/>: connects to the members restored from storage, asks a seed to add
    /// this node (retrying with backoff until one answers; with no seeds this node starts a cluster of its own),
    /// registers its own record, and applies the whole member list.
    /// </summary>
    public async Task JoinAsync(string url, CancellationToken cancellationToken)
    {
        _selfUrl = url;
        _reconciler.Restart();
        Apply(_members.All);
        await JoinSeedsAsync(cancellationToken);
        RegisterSelf(url);
        Apply(_members.All);
    }

    /// <summary>This node's <c>Hello</c>: its member record and incarnation; <paramref name="join"/> asks to be added.</summary>
    public HelloRequest Hello(bool join)
    {
        var self = State.GetNode(Self)!;
        var record = _members.Get(Self) ?? new MemberRecord(Self, _selfUrl, self.Name, self.Capacity, 0, NodeMode.Active, false, 0, Self, Zone);
        return new(record, self.Incarnation, join);
    }

    /// <summary><c>Hello</c> from a peer: merges its own record (adding it to the membership when it asks to join) and answers with our member list.</summary>
    public HelloReply OnHello(string fromNodeId, HelloRequest hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        var known = _members.Get(fromNodeId);
        if (known is { Removed: true })
        {
            return new HelloReply(Self, _members.All); // a removed node may not rejoin until an operator adds it again
        }

        if (known is { Removed: false } && known.Url == hello.Self.Url && !_mesh.Has(fromNodeId))
        {
            Connect(known); // a peer that left (or restarted) is back: open our side of the mesh again
        }

        if (known is null ? hello.Join : known.Url != hello.Self.Url || known.Zone != hello.Self.Zone)
        {
            Update(hello.Self with
            {
                Order = known?.Order ?? _members.NextOrder(),
                Capacity = known?.Capacity ?? hello.Self.Capacity,
                Mode = known?.Mode ?? hello.Self.Mode,
                Removed = false,
            });
            BroadcastMembers();
        }

        return new HelloReply(Self, _members.All);
    }

    /// <summary><c>Members</c> gossip from a peer.</summary>
    public void OnMembers(IReadOnlyList<MemberRecord> members) => Merge(members);

    /// <summary>A peer's heartbeat carried a member-list digest unlike ours: send it our list.</summary>
    public void OnPeerDigest(string nodeId, long digest)
    {
        if (digest != _members.Digest)
        {
            _ = _mesh.SendAsync(nodeId, BackplaneMethods.Members, _members.All.ToArray());
        }
    }

    /// <summary>Merges gossiped or stored records; applies and publishes those that changed the list.</summary>
    public IReadOnlyList<MemberRecord> Merge(IEnumerable<MemberRecord> records)
    {
        var changed = _members.Merge(records);
        Apply(changed);
        return changed;
    }

    /// <summary>Stamps a change decided by this node with a fresh version, applies and publishes it.</summary>
    /// <param name="record">The changed record.</param>
    /// <param name="beforeApply">Called with the stamped record before it is applied (a removal tells the removed node while its connection is open).</param>
    public MemberRecord Update(MemberRecord record, Action<MemberRecord>? beforeApply = null)
    {
        var stamped = _members.Update(record, Self);
        beforeApply?.Invoke(stamped);
        Apply([stamped]);
        return stamped;
    }

    /// <summary>Sends the whole member list to every peer.</summary>
    public void BroadcastMembers() => _ = _mesh.BroadcastAsync(BackplaneMethods.Members, _members.All.ToArray());

    private async Task JoinSeedsAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1L; _seeds.Any && !cancellationToken.IsCancellationRequested; attempt++)
        {
            foreach (var seed in await _seeds.ResolveAsync(_selfUrl, Self, cancellationToken))
            {
                try
                {
                    var reply = await _mesh.HelloOnceAsync(seed, Hello(join: true), cancellationToken);
                    _seeds.Answered(seed);
                    Merge(reply.Members);
                    LogJoined(Self, reply.NodeId);
                    return;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    _seeds.Failed(seed);
                    LogSeedUnreachable(seed, ex.Message);
                }
            }

            await Task.Delay(PeerRetryPolicy.Delay(attempt, _options.PeerRetryBaseDelay, _options.PeerRetryMaxDelay), cancellationToken);
        }
    }

    private void RegisterSelf(string url)
    {
        var self = State.GetNode(Self)!;
        var existing = _members.Get(Self);
        if (existing is { Removed: true })
        {
            _self.Set(NodeState.Left); // removed by an operator: stays out until added again
            return;
        }

        if (existing is null || existing.Url != url || existing.Zone != Zone)
        {
            Update(new MemberRecord(Self, url, self.Name, existing?.Capacity ?? self.Capacity,
                existing?.Order ?? (_options.Seeds.Count == 0 ? 0 : _members.NextOrder()), existing?.Mode ?? NodeMode.Active, false, 0, Self, Zone));
        }

        State.SetState(Self, NodeState.Joining);
    }

    /// <summary>Applies changed member records to the view, the detector and the mesh, and publishes each.</summary>
    private void Apply(IReadOnlyList<MemberRecord> changed)
    {
        foreach (var m in changed)
        {
            var existing = State.GetNode(m.NodeId);
            var state = m.Removed ? NodeState.Left : m.NodeId == Self ? _self.State : existing?.State ?? NodeState.Joining;
            State.AddOrUpdateNode(new NodeInfo(m.NodeId, m.Url, m.Capacity, m.Name, m.Order, state, m.Mode,
                existing?.MaxConcurrentRequests ?? _options.MaxConcurrentRequests, existing?.Incarnation ?? 0, m.Zone));
            _node.Publish(new MemberChanged(m, existing, Self));
            if (m.NodeId == Self)
            {
                if (m.Removed && _self.State != NodeState.Left)
                {
                    _self.Set(NodeState.Left); // removed by an operator: serve nobody
                }

                continue;
            }

            if (m.Removed)
            {
                _detector.Forget(m.NodeId);
                _mesh.Disconnect(m.NodeId);
                _node.Publish(State.FailOverNode(m.NodeId, Self), local: true);
                continue;
            }

            _detector.Watch(m.NodeId);
            if (existing is not null && existing.Mode != m.Mode && m.Mode == NodeMode.Maintenance)
            {
                _node.Publish(State.FailOverNode(m.NodeId, Self), local: true);
            }

            if (_mesh.UrlOf(m.NodeId) != m.Url)
            {
                Connect(m);
            }
        }

        if (changed.Any(m => m.NodeId != Self && m.Mode == NodeMode.Active))
        {
            _node.Publish(State.AssignMissingAlternates(Self), local: true);
        }
    }

    private void Connect(MemberRecord member) => _mesh.Connect(member.NodeId, member.Url, OnPeerOpenedAsync);

    /// <summary>A connection to a peer opened: exchange <c>Hello</c> and member lists (a node added by an operator learns the cluster here), then catch up.</summary>
    private async Task OnPeerOpenedAsync(string nodeId)
    {
        try
        {
            var (reply, error) = await _mesh.InvokeAsync<HelloReply>(nodeId, BackplaneMethods.Hello, Hello(join: false), _options.HelloTimeout, CancellationToken.None);
            if (reply is null)
            {
                LogSendFailed(nodeId, error?.Message ?? "not connected");
                return;
            }

            Merge(reply.Members);
            await _mesh.SendAsync(nodeId, BackplaneMethods.Members, _members.All.ToArray());
            await _reconciler.CatchUpAsync(nodeId);
        }
        catch (Exception ex) when (PeerMesh.IsConnectionFailure(ex))
        {
            LogSendFailed(nodeId, ex.Message);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Node {NodeId} joined through seed {SeedNodeId}")]
    private partial void LogJoined(string nodeId, string seedNodeId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Seed {Seed} unreachable: {Reason}")]
    private partial void LogSeedUnreachable(string seed, string reason);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Debug, Message = "Backplane call to {PeerId} failed: {Reason}")]
    private partial void LogSendFailed(string peerId, string reason);
}
