using ClusterEngine.Changes;
using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Events;

/// <summary>
/// Turns changes into <see cref="ClusterEvent"/>s: every assignment change this node decided, and changes merged from
/// peers (so a node's dashboard shows the whole cluster's decisions); node liveness (Up → joined, Down → down, Left →
/// removed); an operator's membership changes, on every node (added, removed, capacity or mode changed); a catch-up
/// that changed something (reconciled, patent Fig. 7). An <see cref="AssignmentChangeReason.Assigned"/> delta with
/// bounces becomes <see cref="ClusterEventKind.Bounced"/>.
/// </summary>
/// <param name="feed">The feed events go to.</param>
public sealed class EventFeedObserver(ClusterEventFeed feed) : IClusterChangeObserver
{
    /// <inheritdoc />
    public void OnChange(ClusterChange change)
    {
        switch (change)
        {
            case AssignmentsChanged assignments:
                foreach (var delta in assignments.Deltas)
                {
                    Assignment(delta);
                }

                break;
            case NodeStateChanged { State: var state } node when KindOf(state) is { } kind:
                feed.Publish(kind, node.NodeId, detail: $"{node.NodeId} is {state}");
                break;
            case MemberChanged member:
                Member(member);
                break;
            case Reconciled r when r.Merged > 0 || r.DroppedPrimaries > 0 || r.DroppedAlternates > 0:
                feed.Publish(ClusterEventKind.Reconciled, r.LocalNodeId, detail:
                    $"with {r.PeerNodeId}: {r.Merged} assignment(s) merged, {r.DroppedPrimaries} primary and {r.DroppedAlternates} alternate role(s) dropped");
                break;
        }
    }

    private static ClusterEventKind? KindOf(NodeState state) => state switch
    {
        NodeState.Up => ClusterEventKind.NodeJoined,
        NodeState.Down => ClusterEventKind.NodeDown,
        NodeState.Left => ClusterEventKind.NodeRemoved,
        _ => null,
    };

    private void Assignment(AssignmentDelta change)
    {
        var kind = change.Reason switch
        {
            AssignmentChangeReason.Assigned when change.Bounces > 0 => ClusterEventKind.Bounced,
            AssignmentChangeReason.Assigned => ClusterEventKind.Assigned,
            AssignmentChangeReason.FailedOver or AssignmentChangeReason.HandedOver => ClusterEventKind.FailedOver,
            AssignmentChangeReason.Reassigned => ClusterEventKind.Reassigned,
            AssignmentChangeReason.AlternateChanged => ClusterEventKind.AlternateChanged,
            _ => ClusterEventKind.Removed,
        };
        var detail = change.IsRemoval
            ? change.Reason.ToString()
            : $"primary {change.Primary}, alternate {change.Alternate ?? "none"}{(change.Bounces > 0 ? $", {change.Bounces} bounce(s)" : "")}";
        feed.Publish(kind, change.Version.NodeId, change.ClientId, detail);
    }

    private void Member(MemberChanged change)
    {
        var (m, existing) = (change.Record, change.Before);
        if (m.Removed)
        {
            if (existing is not null && existing.State != NodeState.Left)
            {
                feed.Publish(ClusterEventKind.NodeRemoved, m.NodeId, detail: $"{m.Name} removed from the cluster");
            }
        }
        else if (existing is null)
        {
            if (m.NodeId != change.LocalNodeId)
            {
                feed.Publish(ClusterEventKind.NodeAdded, m.NodeId, detail: $"{m.Name} at {m.Url}, capacity {m.Capacity}");
            }
        }
        else if (existing.Capacity != m.Capacity || existing.Mode != m.Mode)
        {
            feed.Publish(ClusterEventKind.NodeChanged, m.NodeId, detail: $"capacity {m.Capacity}, mode {m.Mode}");
        }
    }
}
