using ClusterEngine.Placement;

namespace ClusterEngine.Affinity;

/// <summary>
/// Where one client request goes, and the assignment change that routing it requires (patent Fig. 6).
/// A value: the host applies <see cref="Change"/> (already applied to the local view by
/// <see cref="ClusterState.Route"/>), broadcasts it and persists it.
/// </summary>
/// <param name="Kind">Primary, failed over, reassigned, not assigned or cluster full.</param>
/// <param name="ServingNodeId">Node that serves the request; null for NotAssigned, ClusterFull, PrimaryJoining and PrimaryRestarting.</param>
/// <param name="Assignment">The client's assignment after the decision; null when it has none.</param>
/// <param name="Change">The delta to apply and broadcast; null when nothing changes.</param>
/// <param name="OverCapacity">True when the serving node is at or over capacity after a failover (reported, never refused).</param>
public sealed record AffinityDecision(
    AffinityKind Kind,
    string? ServingNodeId,
    Assignment? Assignment,
    AssignmentDelta? Change,
    bool OverCapacity);
