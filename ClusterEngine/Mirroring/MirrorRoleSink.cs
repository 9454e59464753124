using ClusterEngine.Placement;

namespace ClusterEngine.Mirroring;

/// <summary>
/// Drops a client's mirror on this node when the node is neither its primary nor its alternate any
/// more (removal, idle expiry, reconciliation after a newer assignment, patent Fig. 7, step 730; DESIGN.md §5, §7);
/// through <see cref="MirrorStore"/>, so the stored rows go too.
/// </summary>
internal sealed class MirrorRoleSink(MirrorStore mirror, ClusterState state) : IClusterChangeSink
{
    public void OnAssignmentsChanged(IReadOnlyList<AssignmentDelta> changes, bool local)
    {
        foreach (var change in changes)
        {
            if (change.Primary != state.LocalNodeId && change.Alternate != state.LocalNodeId)
            {
                mirror.Remove(change.ClientId);
            }
        }
    }
}
