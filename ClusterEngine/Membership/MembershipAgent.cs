using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Owns this node's membership: joins through <c>Cluster:Seeds</c> (<c>Hello</c>) — or, as a member that restarted,
/// straight through the members it stored — gossips the member list (<c>Members</c>), and applies every member-list
/// change to the view: the node's static facts (patent Fig. 11, step 1120), the failure detector's watch list and the
/// mesh's connections; this node's own removal (Left, serving nobody) and re-addition (Joining, catch-up, Up). Every
/// change of the list goes through here and is published (<see cref="MemberChanged"/>); versions are stamped only where
/// the <see cref="MembershipAuthority"/> decides.
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
    private readonly TaskCompletionSource<string> _refusal = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>The URL this node advertises (known once it listens).</summary>
    public string SelfUrl => _selfUrl;

    /// <summary>
    /// Completes with the reason when a member refused this process's claim to its node id (the id belongs to a live
    /// member at another URL): the process is not that member and must stop (exit code 2).
    /// </summary>
    public Task<string> Refusal => _refusal.Task;

    /// <summary>
    /// Joins the cluster as <paramref name="url"/>: connects to the members restored from storage; a node that was a
    /// member before (its own record is stored) goes on without waiting for a seed — its peers' answers, or their refusals,
    /// decide when it is Up (the lone survivor rule) — while a new node asks a seed to add it, retrying with backoff until
    /// one answers (with no seeds it starts a cluster of its own). Then applies the whole member list.
    /// </summary>
    public async Task JoinAsync(string url, CancellationToken cancellationToken)
    {
        _selfUrl = url;
        _reconciler.Restart();
        Apply(_members.All);
        if (_members.Get(Self) is null)
        {
            await JoinSeedsAsync(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (!Refusal.IsCompleted)
        {
            RegisterSelf(url);
            Apply(_members.All);
        }
    }

    /// <summary>This node's <c>Hello</c>: its member record and incarnation; <paramref name="join"/> asks to be added.</summary>
    public HelloRequest Hello(bool join)
    {
        var self = State.GetNode(Self)!;
        var record = _members.Get(Self) is { } stored
            ? stored with { Url = _selfUrl.Length > 0 ? _selfUrl : stored.Url, Incarnation = self.Incarnation, Zone = Zone }
            : new MemberRecord(Self, _selfUrl, self.Name, self.Capacity, 0, NodeMode.Active, false, 0, Self, self.Incarnation, Zone);
        return new(record, self.Incarnation, join);
    }

    /// <summary><c>Members</c> gossip from a peer.</summary>
    public void OnMembers(IReadOnlyList<MemberRecord> members) => Merge(members);

    /// <summary>Merges gossiped or stored records; applies and publishes those that changed the list.</summary>
    public IReadOnlyList<MemberRecord> Merge(IEnumerable<MemberRecord> records)
    {
        var changed = _members.Merge(records);
        Apply(changed);
        return changed;
    }

    /// <summary>Stamps a change with the next list version, applies and publishes it (the authority's part: see <see cref="MembershipAuthority"/>).</summary>
    /// <param name="record">The changed record.</param>
    public MemberRecord Update(MemberRecord record)
    {
        var stamped = _members.Update(record, Self);
        Apply([stamped]);
        return stamped;
    }

    /// <summary>
    /// Stamps a change with the next list version without putting it in the member list yet (<see cref="Merge"/> does):
    /// a removal enters the list, and this node's view, only once the removed node confirmed it (see <see cref="MembershipAuthority"/>).
    /// </summary>
    public MemberRecord Stamp(MemberRecord record) => _members.Stamp(record, Self);

    /// <summary>Sends the whole member list to every peer.</summary>
    public void BroadcastMembers() => _ = _mesh.BroadcastAsync(BackplaneMethods.Members, _members.All.ToArray());

    /// <summary>Re-opens the connection to a member at once (it restarted: no waiting for the backoff of the old connection).</summary>
    public void Reconnect(string nodeId)
    {
        if (_members.Get(nodeId) is { Removed: false } member && nodeId != Self)
        {
            Connect(member);
        }
    }

    /// <summary>A member refused this process's claim to its id: signal the stop (once).</summary>
    internal void Refuse(string reason)
    {
        if (_refusal.TrySetResult(reason))
        {
            LogIdRefused(Self, reason);
        }
    }

    private async Task JoinSeedsAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1L; _seeds.AnyBesides(_selfUrl) && !cancellationToken.IsCancellationRequested; attempt++)
        {
            foreach (var seed in await _seeds.ResolveAsync(_selfUrl, Self, cancellationToken))
            {
                try
                {
                    var reply = await _mesh.HelloOnceAsync(seed, Hello(join: true), cancellationToken);
                    if (reply.Refused is { } reason)
                    {
                        Refuse(reason);
                        return;
                    }

                    _seeds.Answered(seed);
                    Merge(reply.Members);
                    if (_members.Get(Self) is not null) // added (or removed earlier by an operator: then it waits, Left, to be added)
                    {
                        LogJoined(Self, reply.NodeId);
                        return;
                    }

                    LogSeedUnreachable(seed, "it did not add this node");
                }
                catch (PeerRefusedException refused)
                {
                    _seeds.Failed(seed);
                    LogSeedRefused(seed, refused.Message); // there, but not letting this node in: never a cluster of its own
                }
                catch (HubException declined) when (!cancellationToken.IsCancellationRequested)
                {
                    _seeds.Failed(seed);
                    LogSeedRefused(seed, PeerMesh.ServerReason(declined)); // it answered why (it cannot reach this node's URL; no authority now): retry
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
            _self.SetRemoved(true); // removed by an operator: stays out until added again
            return;
        }

        if (existing is null)
        {
            // No seeds (or only itself) and nothing stored: the first node of a new cluster, its own membership authority.
            Update(new MemberRecord(Self, url, self.Name, self.Capacity, 0, NodeMode.Active, false, 0, Self, self.Incarnation, Zone));
        }

        // A stored record with another URL (the node moved) is fixed by the authority when this node's Hello reaches it.
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
                ApplySelf(m, existing);
                continue;
            }

            if (m.Removed)
            {
                // Its clients are failed over by the role repair of the nodes acting for them (RoleRepair).
                _detector.Forget(m.NodeId);
                _mesh.Disconnect(m.NodeId);
                continue;
            }

            _self.SetAlone(false); // at once, not at the monitor's next tick: a late tick stops serving again (LocalNodeStatus.Alone)
            _detector.Watch(m.NodeId);
            if (_mesh.UrlOf(m.NodeId) != m.Url)
            {
                Connect(m);
            }
        }
    }

    /// <summary>
    /// This node's own record changed: removed → Left, serving nobody; added again (no longer removed, or placed at a new
    /// position in the membership order by an operator's add) → Joining, and Up only once caught up with every live peer.
    /// </summary>
    private void ApplySelf(MemberRecord m, NodeStatus? before)
    {
        if (m.Removed)
        {
            if (!_self.Removed)
            {
                _self.SetRemoved(true);
                _reconciler.Restart(); // what it caught up with before the removal says nothing of the table it comes back to
                LogRemoved(Self);
            }

            return;
        }

        if (_self.Removed || (before is not null && before.Order != m.Order && _self.State == NodeState.Up))
        {
            // The new round of catching up starts before the node is Joining and no longer removed: the health monitor's tick,
            // on another thread, turns a Joining node that has caught up Up, and with the ledger of the round before the
            // removal it did so at once — a re-added node served on the table it held when removed (found by attack, 1 of
            // about 120 removals and re-adds under churn: Up with no "caught up" line, 700 assignments merged after).
            _reconciler.Restart();
            _self.Set(NodeState.Joining);
            _self.SetRemoved(false);
            LogAdded(Self, m.Order);
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

            if (reply.Refused is { } reason)
            {
                Refuse(reason);
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

    [LoggerMessage(EventId = LogEvents.Joined, Level = LogLevel.Information, Message = "Node {NodeId} joined through seed {SeedNodeId}")]
    private partial void LogJoined(string nodeId, string seedNodeId);

    [LoggerMessage(EventId = LogEvents.SeedUnreachable, Level = LogLevel.Warning, Message = "Seed {Seed} unreachable: {Reason}")]
    private partial void LogSeedUnreachable(string seed, string reason);

    [LoggerMessage(EventId = LogEvents.SeedRefused, Level = LogLevel.Error, Message = "Seed {Seed} is up but does not let this node join: {Reason}")]
    private partial void LogSeedRefused(string seed, string reason);

    [LoggerMessage(EventId = LogEvents.MembershipAgentSendFailed, Level = LogLevel.Debug, Message = "Backplane call to {PeerId} failed: {Reason}")]
    private partial void LogSendFailed(string peerId, string reason);

    [LoggerMessage(EventId = LogEvents.IdRefused, Level = LogLevel.Critical, Message = "This process may not be node {NodeId}: {Reason}. It stops with exit code 2")]
    private partial void LogIdRefused(string nodeId, string reason);

    [LoggerMessage(EventId = LogEvents.Removed, Level = LogLevel.Warning, Message = "{NodeId} was removed from the cluster: it serves nobody until it is added again")]
    private partial void LogRemoved(string nodeId);

    [LoggerMessage(EventId = LogEvents.Added, Level = LogLevel.Information, Message = "{NodeId} was added to the cluster (order {Order}): catching up with every peer before it is Up")]
    private partial void LogAdded(string nodeId, long order);
}
