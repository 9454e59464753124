using ClusterEngine.Membership;

namespace ClusterEngine.Mirroring.Sync;

/// <summary>
/// On a graceful leave (SIGTERM; patent Fig. 6 steps 670–680 done on purpose) every client whose alternate is behind is
/// synced before the alternates take over, so they answer from a mirror in step.
/// </summary>
internal sealed class MirrorSyncHandOver(MirrorSynchronizer synchronizer) : IHandOverPreparation
{
    public Task PrepareAsync(CancellationToken cancellationToken) => synchronizer.SyncAsync(synchronizer.ClientsBehind(), cancellationToken);
}
