using ClusterEngine.Backplane;
using Microsoft.Extensions.Hosting;

namespace ClusterEngine.Mirroring.Sync;

/// <summary>
/// On a graceful leave (SIGTERM; DESIGN.md §7, patent Fig. 6 steps 670–680 done on purpose) every client whose
/// alternate is behind is synced before the alternates take over, so they answer from a mirror in step.
/// </summary>
internal sealed class MirrorSyncHandOver(ClusterBackplane backplane, MirrorSynchronizer synchronizer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        backplane.HandOverPreparation = token => synchronizer.SyncAsync(synchronizer.ClientsBehind(), token);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
