using ClusterEngine;
using ClusterEngine.Mirroring;
using ClusterEngine.Placement;

namespace ClusterPortal.Jobs;

/// <summary>
/// When a client this node is primary of gets a new alternate (Fig. 5 after a failover, a join or a loss), its whole
/// mirror is sent there by a sync job: the new alternate has no checkpoint, so the sync sends the full mirror.
/// </summary>
internal sealed class MirrorSyncSink(ClusterState state, MirrorStore mirrors, MirrorSyncQueue queue) : IClusterChangeSink
{
    public void OnAssignmentsChanged(IReadOnlyList<AssignmentDelta> changes, bool local)
    {
        foreach (var change in changes)
        {
            if (change.Primary == state.LocalNodeId && change.Alternate is { } alternate
                && mirrors.Mirror.CurrentSequence(change.ClientId) != 0 && mirrors.Checkpoint(change.ClientId, alternate) == 0)
            {
                queue.Mark(change.ClientId);
            }
        }
    }
}
