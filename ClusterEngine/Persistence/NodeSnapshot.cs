using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using ClusterEngine.Placement;

namespace ClusterEngine.Persistence;

/// <summary>Everything a node persisted, as read back at start by <see cref="PersistenceLoader.LoadAsync"/>.</summary>
/// <param name="Members">Every stored member.</param>
/// <param name="Assignments">Every stored assignment as a delta (removed clients as removal deltas), ready for <see cref="ClusterState.Apply"/>.</param>
/// <param name="Mirrors">Every stored mirror, whole (<see cref="MirrorSnapshot.IsFull"/>), entries least recently used first; damaged rows left out.</param>
public sealed record NodeSnapshot(
    IReadOnlyList<MemberRecord> Members,
    IReadOnlyList<AssignmentDelta> Assignments,
    IReadOnlyList<MirrorSnapshot> Mirrors);
