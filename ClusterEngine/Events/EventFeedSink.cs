using ClusterEngine.Placement;

namespace ClusterEngine.Events;

/// <summary>
/// Turns assignment changes into <see cref="ClusterEvent"/>s: every change this node decided, and
/// changes merged from peers (so a node's dashboard shows the whole cluster's decisions). An
/// <see cref="AssignmentChangeReason.Assigned"/> delta with bounces becomes <see cref="ClusterEventKind.Bounced"/>.
/// </summary>
public sealed class EventFeedSink(ClusterEventFeed feed) : IClusterChangeSink
{
    /// <inheritdoc />
    public void OnAssignmentsChanged(IReadOnlyList<AssignmentDelta> changes, bool local)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
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
    }
}
