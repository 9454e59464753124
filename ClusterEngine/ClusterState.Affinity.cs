using ClusterEngine.Placement;
using ClusterEngine.Affinity;

namespace ClusterEngine;

public sealed partial class ClusterState
{
    /// <summary>
    /// Routes one client request (patent Fig. 6, steps 630–680) and applies the change it needs to
    /// this view atomically: primary available → primary; else the alternate is promoted and a new
    /// alternate chosen; both unavailable → the client is placed anew. The returned decision carries
    /// the delta to broadcast and persist. A known client whose primary serves is routed without the lock (one lookup
    /// and the member snapshot); the lock is taken only for a change, or to record the client as seen once per
    /// hundredth of <c>Cluster:ClientIdleTimeout</c>. At the client's primary, that time is queued for the alternate
    /// (<see cref="TakeSeen"/>).
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="primaryMayReturn">
    /// Asked only when the primary does not serve, with its node id: true keeps the client where it is and answers
    /// <see cref="AffinityKind.PrimaryRestarting"/> instead of failing it over (the restart grace, <see cref="Membership.RestartGrace.Holds"/>).
    /// Null: never.
    /// </param>
    public AffinityDecision Route(string clientId, Func<string, bool>? primaryMayReturn = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        if (!_table.TryGet(clientId, out var slot))
        {
            return new AffinityDecision(AffinityKind.NotAssigned, null, null, null, false);
        }

        var members = _view.Snapshot;
        var now = AssignmentSlot.ToLastSeen(_time.GetUtcNow());
        if (members.IsServing(slot.Primary))
        {
            if (now - slot.LastSeen >= _seenResolution)
            {
                lock (_gate)
                {
                    Saw(clientId, slot.LastSeen, now, relay: slot.Primary == _self); // the alternate inherits the idle expiry on a failover (TakeSeen)
                }
            }

            return new AffinityDecision(AffinityKind.Primary, members.NodeId(slot.Primary), AssignmentReader.ToAssignment(clientId, slot, members), null, false);
        }

        if (primaryMayReturn is not null && !members.IsJoining(slot.Primary) && primaryMayReturn(members.NodeId(slot.Primary)))
        {
            return new AffinityDecision(AffinityKind.PrimaryRestarting, null, AssignmentReader.ToAssignment(clientId, slot, members), null, false);
        }

        lock (_gate)
        {
            var decision = RouteLocked(clientId);
            if (_table.TryGet(clientId, out var routed))
            {
                Saw(clientId, routed.LastSeen, now, relay: routed.Primary == _self);
            }

            return decision;
        }
    }

    /// <summary>The Fig. 6 proposal for <paramref name="clientId"/> on this view, not applied (for tests: decisions are values).</summary>
    internal ServingDecision.Proposal ProposeRoute(string clientId)
    {
        lock (_gate)
        {
            return _table.TryGet(clientId, out var slot)
                ? ServingDecision.Decide(_view.Snapshot, _table, slot)
                : new(AffinityKind.NotAssigned, -1, null);
        }
    }

    /// <summary>
    /// The Fig. 6 decision for <paramref name="clientId"/> applied to the table, without recording the client as seen:
    /// a request records that (<see cref="Route"/>), a node failure does not (<see cref="FailOverNode"/>).
    /// </summary>
    private AffinityDecision RouteLocked(string clientId)
    {
        if (!_table.TryGet(clientId, out var slot))
        {
            return new AffinityDecision(AffinityKind.NotAssigned, null, null, null, false);
        }

        var members = _view.Snapshot;
        var proposal = ServingDecision.Decide(members, _table, slot);
        if (proposal.Kind == AffinityKind.Reassigned)
        {
            var (primary, bounces) = _primaries.Place([]);
            proposal = primary < 0
                ? new(AffinityKind.ClusterFull, -1, null)
                : new(AffinityKind.Reassigned, primary,
                    new AssignmentSlot(0, 0, (short)primary, (short)AlternateChoice.Select(members, _table, primary), (byte)bounces));
        }

        if (proposal.Next is not { } next)
        {
            var servingId = proposal.Serving >= 0 ? members.NodeId(proposal.Serving) : null;
            return new AffinityDecision(proposal.Kind, servingId, AssignmentReader.ToAssignment(clientId, slot, members), null, false);
        }

        var reason = proposal.Kind == AffinityKind.FailedOver ? AssignmentChangeReason.FailedOver : AssignmentChangeReason.Reassigned;
        var delta = Commit(clientId, next, reason);
        _table.TryGet(clientId, out var stored);
        var overCapacity = _table.PrimaryCount(proposal.Serving) > members[proposal.Serving].Capacity;
        return new AffinityDecision(proposal.Kind, members.NodeId(proposal.Serving), AssignmentReader.ToAssignment(clientId, stored, members), delta, overCapacity);
    }

    /// <summary>
    /// A node was declared unavailable (docs/architecture.md §7): each of its clients is failed over to its
    /// alternate, which picks a new alternate (Fig. 6, steps 670–680), or placed anew when the
    /// alternate is unavailable too; clients that had it as alternate get a new one (Fig. 5).
    /// </summary>
    /// <param name="nodeId">The unavailable node.</param>
    /// <param name="actingNodeId">
    /// Only make the decisions that belong to this node: promotions of clients whose alternate it is,
    /// new alternates for clients whose primary it is, and reassignments when it is the first
    /// available node in membership order — so that every node, acting for itself, reaches the same
    /// result without conflicts. Null decides everything on this view.
    /// </param>
    /// <returns>The deltas to broadcast and persist.</returns>
    public IReadOnlyList<AssignmentDelta> FailOverNode(string nodeId, string? actingNodeId = null)
    {
        lock (_gate)
        {
            var changes = new List<AssignmentDelta>();
            if (!_view.TryGetIndex(nodeId, out var down))
            {
                return changes;
            }

            var acting = actingNodeId is null ? -1 : _view.IndexOf(actingNodeId);
            var firstAvailable = _view.Snapshot.FirstAvailable();
            foreach (var (clientId, slot) in _table.All.Where(e => !e.Value.IsRemoved && (e.Value.Primary == down || e.Value.Alternate == down)).ToList())
            {
                if (slot.Primary == down)
                {
                    var promote = slot.HasAlternate && _view.Snapshot.IsAvailable(slot.Alternate);
                    var mine = acting < 0 || (promote ? slot.Alternate == acting : acting == firstAvailable);
                    if (mine)
                    {
                        changes.Add(RouteLocked(clientId).Change!);
                    }
                }
                else if (acting < 0 || slot.Primary == acting)
                {
                    var alternate = AlternateChoice.Select(_view.Snapshot, _table, slot.Primary, exclude: down);
                    changes.Add(Commit(clientId, slot with { Alternate = (short)alternate }, AssignmentChangeReason.AlternateChanged));
                }
            }

            changes.RemoveAll(c => c is null);
            return changes;
        }
    }

    /// <summary>
    /// A leaving node hands its roles over (graceful leave, docs/recovery.md): each client it is primary of goes to its
    /// alternate when that node can take it (patent Fig. 6, steps 670–680), else it is placed anew on an eligible node
    /// (step 660 → 620); each client it is alternate of gets a new alternate. Nodes that are leaving too are neither
    /// available nor eligible, so where no other node can take a role the leaving node keeps it: when every node stops at
    /// once, every client is where it was when they all start again.
    /// </summary>
    /// <param name="nodeId">The leaving node (this view's own node when it leaves itself).</param>
    /// <returns>The deltas to broadcast and persist, and how many roles the node kept.</returns>
    public (IReadOnlyList<AssignmentDelta> Changes, int Kept) HandOver(string nodeId)
    {
        lock (_gate)
        {
            var changes = new List<AssignmentDelta>();
            var kept = 0;
            if (!_view.TryGetIndex(nodeId, out var leaving))
            {
                return (changes, kept);
            }

            foreach (var (clientId, slot) in _table.All.Where(e => !e.Value.IsRemoved && (e.Value.Primary == leaving || e.Value.Alternate == leaving)).ToList())
            {
                AssignmentSlot? next = null;
                var reason = AssignmentChangeReason.HandedOver;
                if (slot.Primary != leaving)
                {
                    var alternate = AlternateChoice.Select(_view.Snapshot, _table, slot.Primary, exclude: leaving);
                    (next, reason) = (alternate < 0 ? null : slot with { Alternate = (short)alternate }, AssignmentChangeReason.AlternateChanged);
                }
                else if (slot.HasAlternate && _view.IsAvailable(slot.Alternate))
                {
                    next = slot with { Primary = slot.Alternate, Alternate = (short)AlternateChoice.Select(_view.Snapshot, _table, slot.Alternate, exclude: leaving) };
                }
                else if (_primaries.Place([]) is ( >= 0 and var primary, var bounces))
                {
                    next = new AssignmentSlot(0, 0, (short)primary, (short)AlternateChoice.Select(_view.Snapshot, _table, primary, exclude: leaving), (byte)bounces);
                }

                if (next is { } handed)
                {
                    changes.Add(Commit(clientId, handed, reason));
                }
                else
                {
                    kept++;
                }
            }

            return (changes, kept);
        }
    }

    /// <summary>
    /// Gives an alternate to every client that has none, as soon as a node is eligible (Fig. 5;
    /// docs/architecture.md §4). With <paramref name="actingNodeId"/>, only for clients whose primary it is.
    /// </summary>
    /// <returns>The deltas to broadcast and persist.</returns>
    public IReadOnlyList<AssignmentDelta> AssignMissingAlternates(string? actingNodeId = null)
    {
        lock (_gate)
        {
            var changes = new List<AssignmentDelta>();
            var acting = actingNodeId is null ? -1 : _view.IndexOf(actingNodeId);
            foreach (var clientId in _table.WithoutAlternate.ToList())
            {
                _table.TryGet(clientId, out var slot);
                if (acting >= 0 && slot.Primary != acting)
                {
                    continue;
                }

                var alternate = AlternateChoice.Select(_view.Snapshot, _table, slot.Primary);
                if (alternate >= 0)
                {
                    changes.Add(Commit(clientId, slot with { Alternate = (short)alternate }, AssignmentChangeReason.AlternateChanged));
                }
            }

            return changes;
        }
    }

    /// <summary>
    /// Patent Fig. 7, steps 700–740: this node became available again and merges what its peers hold;
    /// every role it had (primary or alternate) that a newer assignment gives to another node is
    /// dropped, and its counts follow.
    /// </summary>
    public ReconciliationResult Reconcile(IEnumerable<AssignmentDelta> peerState)
    {
        ArgumentNullException.ThrowIfNull(peerState);
        var droppedPrimaries = new List<string>();
        var droppedAlternates = new List<string>();
        var applied = 0;
        lock (_gate)
        {
            foreach (var delta in peerState)
            {
                var had = _table.TryGet(delta.ClientId, out var before);
                if (!_table.Merge(delta.ClientId, _read.ToSlot(delta)))
                {
                    continue;
                }

                applied++;
                _table.TryGetRaw(delta.ClientId, out var after);
                if (had && before.Primary == _self && after.Primary != _self)
                {
                    droppedPrimaries.Add(delta.ClientId);
                }

                if (had && before.Alternate == _self && (after.IsRemoved || after.Alternate != _self))
                {
                    droppedAlternates.Add(delta.ClientId);
                }
            }
        }

        return new ReconciliationResult(droppedPrimaries, droppedAlternates, applied);
    }

    /// <summary>
    /// Removes clients not seen for <paramref name="idle"/> (docs/architecture.md §5, <c>Cluster:ClientIdleTimeout</c>):
    /// with <paramref name="actingNodeId"/>, only clients whose primary it is (the node that sees their requests).
    /// </summary>
    /// <returns>The removal deltas to broadcast and persist; their clients' mirrors go too.</returns>
    public IReadOnlyList<AssignmentDelta> ExpireIdle(TimeSpan idle, string? actingNodeId = null)
    {
        lock (_gate)
        {
            var cutoff = AssignmentSlot.ToLastSeen(_time.GetUtcNow() - idle);
            var acting = actingNodeId is null ? -1 : _view.IndexOf(actingNodeId);
            var expired = _table.All.Where(e => !e.Value.IsRemoved && e.Value.LastSeen < cutoff && (acting < 0 || e.Value.Primary == acting))
                .Select(e => e.Key).ToList();
            return expired.ConvertAll(id => Remove(id)!);
        }
    }
}
