using Microsoft.Extensions.Hosting;

namespace ClusterEngine.Persistence;

/// <summary>
/// Hosted start step registered by <c>AddSqlitePersistence</c> before the writer: restores the
/// stored members and assignments into this node's <see cref="ClusterState"/> before the host
/// serves requests. Reconciliation with peers follows via the backplane.
/// </summary>
internal sealed class PersistenceRestorer(PersistenceLoader loader, ClusterState state, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        loader.RestoreAsync(state, (Membership.MemberList?)services.GetService(typeof(Membership.MemberList)), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
