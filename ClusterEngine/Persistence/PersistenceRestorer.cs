using Microsoft.Extensions.Hosting;

namespace ClusterEngine.Persistence;

/// <summary>
/// Hosted start step registered by <c>AddSqlitePersistence</c> before the writer: restores the
/// stored members and assignments into this node's <see cref="ClusterState"/> before the host
/// serves requests, then the stored cache mirrors into the <see cref="Mirroring.MirrorStore"/> when the node has a
/// data path. Reconciliation with peers follows via the backplane.
/// </summary>
internal sealed class PersistenceRestorer(PersistenceLoader loader, ClusterState state, IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await loader.RestoreAsync(state, (Membership.MemberList?)services.GetService(typeof(Membership.MemberList)), cancellationToken);
        if (services.GetService(typeof(Mirroring.MirrorStore)) is Mirroring.MirrorStore mirrors)
        {
            await mirrors.RestoreAsync(loader, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
