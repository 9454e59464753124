using ClusterEngine;
using ClusterEngine.Changes;
using ClusterEngine.DependencyInjection;
using ClusterEngine.Events;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration entry point of the cluster engine.</summary>
public static class ClusterEngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ClusterOptions"/> (bound from <c>Cluster</c>, validated at start with
    /// messages naming the key), this node's <see cref="ClusterState"/> with the local node as its
    /// first member, the <see cref="ClusterNode"/> that publishes its changes on the <see cref="ClusterChanges"/>
    /// (to every registered <see cref="IClusterChangeObserver"/>), the <see cref="ClusterEventFeed"/> fed by those changes,
    /// the <see cref="PeerGoneSignal"/> (a cancellation per peer, fired by its Down verdict), the <see cref="AssignmentChangeSignal"/>
    /// (a task per assignment change, for requests that wait for a client's assignment to arrive), the idle-client expiry, and the <see cref="NodeLifecycle"/>, the one hosted service that starts and stops the
    /// engine's parts in order (restore, join, serve, leave).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The root configuration.</param>
    /// <returns>A builder for the engine's optional parts.</returns>
    public static ClusterEngineBuilder AddClusterEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ClusterOptions.SectionName);
        services.AddOptions<ClusterOptions>().Bind(section)
            // A list given one value (Cluster__AcceptedKeys=… in the environment, "AcceptedKeys": "…" in JSON) binds to nothing:
            // the node started without it, and a key change failed a round later (found by attack). The value is not shown.
            .Validate(_ => string.IsNullOrEmpty(section[nameof(ClusterOptions.AcceptedKeys)]), ListMessage(nameof(ClusterOptions.AcceptedKeys)))
            .Validate(_ => string.IsNullOrEmpty(section[nameof(ClusterOptions.Seeds)]), ListMessage(nameof(ClusterOptions.Seeds)))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
            var nodeId = options.NodeId ?? "node-1";
            var state = new ClusterState(nodeId, options, time: sp.GetRequiredService<TimeProvider>());
            var incarnation = sp.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
            state.AddOrUpdateNode(new NodeInfo(nodeId, options.AdvertisedUrl ?? "http://127.0.0.1", options.Capacity,
                options.NodeName, MaxConcurrentRequests: options.MaxConcurrentRequests, Incarnation: incarnation, Zone: options.Zone ?? ""));
            return state;
        });
        services.TryAddSingleton<ClusterChanges>();
        services.TryAddSingleton<ClusterNode>();
        services.TryAddSingleton<ClusterEventFeed>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterChangeObserver, EventFeedObserver>());
        services.TryAddSingleton<PeerGoneSignal>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterChangeObserver, PeerGoneSignal>(sp => sp.GetRequiredService<PeerGoneSignal>()));
        services.TryAddSingleton<AssignmentChangeSignal>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterChangeObserver, AssignmentChangeSignal>(sp => sp.GetRequiredService<AssignmentChangeSignal>()));
        services.TryAddSingleton(sp =>
        {
            var address = new LocalNodeAddress();
            if (sp.GetRequiredService<IOptions<ClusterOptions>>().Value.AdvertisedUrl is { } url)
            {
                address.Set(url);
            }

            return address;
        });
        services.TryAddSingleton<IdleClientExpiry>();
        services.AddHostedService<NodeLifecycle>();
        return new ClusterEngineBuilder(services);
    }

    private static string ListMessage(string key) =>
        $"Cluster:{key} is a list: give its items as Cluster:{key}:0, Cluster:{key}:1, … (in the environment Cluster__{key}__0, …; in JSON an array).";
}
