using ClusterEngine.Backplane;
using ClusterEngine.DependencyInjection;
using ClusterEngine.Events;
using ClusterEngine.Membership;
using ClusterEngine.Mirroring.Sync;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers mirror synchronisation between a client's primary and alternate (docs/architecture.md §8).</summary>
public static class MirrorSyncClusterEngineBuilderExtensions
{
    /// <summary>
    /// Adds the <see cref="MirrorSyncReceiver"/> (alternate side) and the <see cref="MirrorSynchronizer"/> (primary side),
    /// which sends over the <see cref="BackplaneMirrorSyncTransport"/>, and syncs every client that is behind before a
    /// graceful leave hands the clients over (an <see cref="IHandOverPreparation"/>). Needs <c>AddDataPath</c> and <c>AddBackplane</c>; when to sync
    /// (<c>Mirror:SyncPolicy</c>) is the host's business.
    /// </summary>
    /// <param name="builder">The engine builder.</param>
    /// <returns>The same builder.</returns>
    public static ClusterEngineBuilder AddMirrorSync(this ClusterEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton<MirrorSyncReceiver>();
        services.TryAddSingleton<IMirrorSyncTransport, BackplaneMirrorSyncTransport>();
        services.TryAddSingleton(sp => new MirrorSynchronizer(sp.GetRequiredService<ClusterEngine.ClusterState>(),
            sp.GetRequiredService<ClusterEngine.Mirroring.MirrorStore>(), sp.GetRequiredService<IMirrorSyncTransport>(),
            sp.GetRequiredService<ILogger<MirrorSynchronizer>>(), sp.GetService<ClusterEventFeed>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterEngine.Mirroring.MirrorOptions>>().Value));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHandOverPreparation, MirrorSyncHandOver>());
        return builder;
    }
}
