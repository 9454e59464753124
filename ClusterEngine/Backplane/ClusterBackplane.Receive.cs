using System.Runtime.CompilerServices;
using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane
{
    /// <summary><c>Hello</c> from a peer: merges its own record (adding it to the membership when it asks to join) and answers with our member list.</summary>
    public HelloReply OnHello(string fromNodeId, HelloRequest hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        var known = _members.Get(fromNodeId);
        if (known is { Removed: true })
        {
            return new HelloReply(Self, _members.All); // a removed node may not rejoin until an operator adds it again
        }

        if (known is { Removed: false } && known.Url == hello.Self.Url && !_peers.ContainsKey(fromNodeId))
        {
            Connect(known); // a peer that left (or restarted) is back: open our side of the mesh again
        }

        if (known is null ? hello.Join : known.Url != hello.Self.Url)
        {
            _members.Update(hello.Self with
            {
                Order = known?.Order ?? _members.NextOrder(),
                Capacity = known?.Capacity ?? hello.Self.Capacity,
                Mode = known?.Mode ?? hello.Self.Mode,
                Removed = false,
            }, Self);
            BroadcastMembers();
        }

        return new HelloReply(Self, _members.All);
    }

    /// <summary><c>Status</c> heartbeat from a peer.</summary>
    public void OnStatus(StatusMessage status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (_members.Get(status.NodeId) is not { Removed: false })
        {
            return;
        }

        _detector.Heard(status.NodeId, status.State);
        if (status.State == NodeState.Left && _peers.TryRemove(status.NodeId, out var leaving))
        {
            _ = leaving.DisposeAsync().AsTask(); // it left gracefully: stop re-opening; its Hello reconnects us when it is back
        }

        State.ApplyStatus(status.NodeId, status.Incarnation, status.Sequence, status.InFlight, status.MaxConcurrentRequests);
        if (status.Traffic is { } traffic)
        {
            _peerTraffic[status.NodeId] = traffic;
        }
        if (status.MembershipDigest != _members.Digest && _peers.TryGetValue(status.NodeId, out var peer))
        {
            _ = peer.SendAsync(BackplaneMethods.Members, _members.All.ToArray());
        }
    }

    /// <summary><c>AssignmentChanged</c> deltas from a peer: merged by version; what changed is persisted and shown.</summary>
    public void OnAssignmentChanged(IReadOnlyList<AssignmentDelta> deltas)
    {
        var applied = State.Apply(deltas);
        _node.Publish(applied, local: false);
    }

    /// <summary><c>Members</c> gossip from a peer.</summary>
    public void OnMembers(IReadOnlyList<MemberRecord> members) => _members.Merge(members);

    /// <summary>
    /// <c>Offer</c>: a peer asks this node to be a new client's primary; this node decides itself (patent
    /// Fig. 4, steps 460–490) and, on accept, makes the assignment and chooses the alternate (Fig. 5).
    /// </summary>
    public OfferReply OnOffer(OfferRequest offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        if (State.GetAssignment(offer.ClientId) is { } existing)
        {
            return new OfferReply(AdmissionOutcome.Accept, null, ToDelta(existing));
        }

        if (_selfState != NodeState.Up || !_hasQuorum || State.GetNode(Self)?.Mode != NodeMode.Active)
        {
            return new OfferReply(AdmissionOutcome.Refuse, null, null);
        }

        var decision = State.DecideOffer(offer.Bounces, offer.Offered);
        if (decision.Outcome != AdmissionOutcome.Accept)
        {
            return new OfferReply(decision.Outcome, decision.BounceTo, null);
        }

        var delta = State.AcceptAsPrimary(offer.ClientId, offer.Bounces);
        if (delta is null)
        {
            return new OfferReply(AdmissionOutcome.Accept, null, ToDelta(State.GetAssignment(offer.ClientId)!));
        }

        _node.Publish([delta], local: true);
        return new OfferReply(AdmissionOutcome.Accept, null, delta);
    }

    /// <summary><c>Snapshot</c>: every assignment this node holds, in batches, for a peer catching up.</summary>
    public async IAsyncEnumerable<AssignmentDelta[]> Snapshot([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var chunk in State.Assignments().Chunk(BackplaneMethods.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Array.ConvertAll(chunk, ToDelta);
            await Task.Yield();
        }
    }

    /// <summary>A hub connection from a peer closed: evidence to re-check that peer at once.</summary>
    public void OnPeerDisconnected(string nodeId)
    {
        if (_members.Get(nodeId) is { Removed: false })
        {
            _ = ProbeAsync(nodeId);
        }
    }

    /// <summary>
    /// An operator changed an origin item through this node: tell every peer to drop its cached copy
    /// at once (<c>ItemChanged</c>, DESIGN.md §6, §7), so no node validates against stale bytes.
    /// </summary>
    public void ItemChanged(ClusterPortal.Client.Contract.ItemKey key, Origin.OriginItem? item)
    {
        ArgumentNullException.ThrowIfNull(key);
        var message = new ItemChangedMessage(key.Value);
        foreach (var peer in _peers.Values)
        {
            _ = peer.SendAsync(BackplaneMethods.ItemChanged, message);
        }
    }

    private void BroadcastMembers()
    {
        var all = _members.All.ToArray();
        foreach (var peer in _peers.Values)
        {
            _ = peer.SendAsync(BackplaneMethods.Members, all);
        }
    }

    private static AssignmentDelta ToDelta(Assignment a) => new(a.ClientId, a.Primary, a.Alternate, a.Version, a.Bounces, AssignmentChangeReason.Assigned);
}
