using ClusterEngine.Changes;

namespace ClusterEngine.Mirroring;

/// <summary>
/// Drops a client's mirror on this node when the node is neither its primary nor its alternate any
/// more (removal, idle expiry, reconciliation after a newer assignment, patent Fig. 7, step 730);
/// through <see cref="MirrorStore"/>, so the stored rows go too.
/// </summary>
internal sealed class MirrorRoleObserver(MirrorStore mirror, ClusterState state) : IClusterChangeObserver
{
    public void OnChange(ClusterChange change)
    {
        if (change is not AssignmentsChanged { Deltas: var deltas })
        {
            return;
        }

        foreach (var delta in deltas)
        {
            if (delta.Primary != state.LocalNodeId && delta.Alternate != state.LocalNodeId)
            {
                mirror.Remove(delta.ClientId);
            }
        }
    }
}
