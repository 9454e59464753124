using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterEngine.DependencyInjection;
using ClusterEngine.Membership;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SignalR backplane of a node (DESIGN.md §7).</summary>
public static class BackplaneClusterEngineBuilderExtensions
{
    /// <summary>
    /// Adds the member list, the failure detector, peer credentials from <c>Cluster:Key</c> and the
    /// <see cref="ClusterBackplane"/> hosted service, which also receives every assignment change to broadcast.
    /// </summary>
    public static ClusterEngineBuilder AddBackplane(this ClusterEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton<MemberList>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
            return new FailureDetector(sp.GetRequiredService<TimeProvider>(), options.FailureTimeout);
        });
        services.TryAddSingleton(sp => new PeerCredentials(sp.GetRequiredService<IOptions<ClusterOptions>>().Value.Key
            ?? throw new InvalidOperationException("Cluster:Key is required.")));
        services.TryAddSingleton<ClusterBackplane>();
        services.AddSingleton<IClusterChangeSink>(sp => sp.GetRequiredService<ClusterBackplane>());
        services.Replace(ServiceDescriptor.Singleton<ClusterEngine.Origin.IItemChangeNotifier>(sp => sp.GetRequiredService<ClusterBackplane>()));
        services.AddHostedService(sp => sp.GetRequiredService<ClusterBackplane>());
        return builder;
    }
}
