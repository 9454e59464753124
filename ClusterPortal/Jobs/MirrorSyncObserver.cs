using ClusterEngine;
using ClusterEngine.Changes;
using ClusterEngine.Mirroring;

namespace ClusterPortal.Jobs;

/// <summary>
/// When a client this node is primary of gets a new alternate (Fig. 5 after a failover, a join or a loss), its whole
/// mirror is sent there by a sync job: the new alternate has no checkpoint, so the sync sends the full mirror.
/// </summary>
internal sealed class MirrorSyncObserver(ClusterState state, MirrorStore mirrors, MirrorSyncQueue queue) : IClusterChangeObserver
{
    public void OnChange(ClusterChange change)
    {
        if (change is not AssignmentsChanged { Deltas: var deltas })
        {
            return;
        }

        foreach (var delta in deltas)
        {
            if (delta.Primary == state.LocalNodeId && delta.Alternate is { } alternate
                && mirrors.Mirror.CurrentSequence(delta.ClientId) != 0 && mirrors.Checkpoint(delta.ClientId, alternate) == 0)
            {
                queue.Mark(delta.ClientId);
            }
        }
    }
}
