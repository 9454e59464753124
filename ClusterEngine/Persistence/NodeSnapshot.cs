using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Persistence;

/// <summary>Everything a node persisted, as read back at start by <see cref="PersistenceLoader.LoadAsync"/>.</summary>
/// <param name="Members">Every stored member.</param>
/// <param name="Assignments">Every stored assignment as a delta (removed clients as removal deltas), ready for <see cref="ClusterState.Apply"/>.</param>
/// <param name="MirrorEntries">Mirror entries per client id.</param>
/// <param name="MirrorClients">Mirror sequence and sync checkpoint per client.</param>
public sealed record NodeSnapshot(
    IReadOnlyList<MemberRecord> Members,
    IReadOnlyList<AssignmentDelta> Assignments,
    IReadOnlyDictionary<string, IReadOnlyList<MirrorEntryRecord>> MirrorEntries,
    IReadOnlyList<MirrorClientRecord> MirrorClients);
