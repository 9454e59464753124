using System.Diagnostics.Metrics;
using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterEngine.DependencyInjection;
using ClusterEngine.Changes;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SignalR backplane of a node and the membership roles that use it.</summary>
public static class BackplaneClusterEngineBuilderExtensions
{
    /// <summary>
    /// Adds the member list, the failure detector, per-connection peer credentials and the forwarded marker from
    /// <c>Cluster:Key</c>, the <see cref="PeerGuard"/> (what peers may call and send), the <see cref="PeerMesh"/>
    /// (transport), the <see cref="BackplaneOutbox"/> (local assignment changes to every peer), and one type per role:
    /// <see cref="MembershipAgent"/>, <see cref="MembershipAuthority"/>, <see cref="NodeAdmission"/>, <see cref="ClusterHealthMonitor"/>,
    /// <see cref="RoleRepair"/>, <see cref="AntiEntropy"/>, <see cref="AssignmentReconciler"/>,
    /// <see cref="PlacementCoordinator"/> (offers over <see cref="PeerOfferTransport"/>, claims of new client ids through
    /// <see cref="ClientClaims"/> over <see cref="PeerClaimTransport"/>), <see cref="GracefulLeave"/>,
    /// <see cref="MembershipAdmin"/>, <see cref="NodeTrafficRelay"/>, and the <c>ItemChanged</c> notifier. The
    /// <see cref="NodeLifecycle"/> runs them.
    /// </summary>
    public static ClusterEngineBuilder AddBackplane(this ClusterEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton<MemberList>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
            return new FailureDetector(sp.GetRequiredService<TimeProvider>(),
                new SilenceTimeout(options.FailureTimeout, options.HeartbeatInterval, options.FailureRttFactor, options.FailureTimeoutMax));
        });
        services.TryAddSingleton(sp => new ServingLease(sp.GetRequiredService<TimeProvider>(),
            4 * sp.GetRequiredService<IOptions<ClusterOptions>>().Value.TickInterval));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
            return new PeerCredentials(options.VerificationKeys(), sp.GetRequiredService<TimeProvider>(), options.PeerClockSkew);
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
            return new ForwardMarker(options.VerificationKeys(), sp.GetRequiredService<TimeProvider>(), options.PeerClockSkew);
        });
        services.TryAddSingleton<PeerGuard>();
        // Null when the host registered no meters (IMeterFactory): the mesh then times nothing.
        services.TryAddSingleton(sp => sp.GetService<IMeterFactory>() is { } meters ? new BackplaneCallMetrics(meters, sp.GetRequiredService<ClusterState>()) : null!);
        services.TryAddSingleton<PeerMesh>();
        services.TryAddSingleton<InboundPeers>();
        services.TryAddSingleton<BackplaneOutbox>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterChangeObserver, BackplaneOutbox>(sp => sp.GetRequiredService<BackplaneOutbox>()));
        services.TryAddSingleton<LocalNodeStatus>();
        services.TryAddSingleton<NodeTrafficRelay>();
        services.TryAddSingleton<AssignmentReconciler>();
        services.TryAddSingleton(sp => new ClusterPortal.Client.SharedAddressResolver(time: sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<SeedResolver>();
        services.TryAddSingleton<MembershipAgent>();
        services.TryAddSingleton<MembershipAuthority>();
        services.TryAddSingleton<AdvertisedUrlProbe>();
        services.TryAddSingleton<NodeAdmission>();
        services.TryAddSingleton<RestartGrace>();
        services.TryAddSingleton<RoleRepair>();
        services.TryAddSingleton<AntiEntropy>();
        services.TryAddSingleton<ClusterHealthMonitor>();
        services.TryAddSingleton<IOfferTransport, PeerOfferTransport>();
        services.TryAddSingleton<IClaimTransport, PeerClaimTransport>();
        services.TryAddSingleton<ClientClaims>();
        services.TryAddSingleton<RetryTags>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterChangeObserver, RetryTags>(sp => sp.GetRequiredService<RetryTags>())); // binds tags to registrations
        services.TryAddSingleton<PlacementCoordinator>();
        services.TryAddSingleton<GracefulLeave>();
        services.TryAddSingleton<ClientSeenRelay>(); // started and stopped by the NodeLifecycle
        services.TryAddSingleton<MembershipAdmin>();
        services.Replace(ServiceDescriptor.Singleton<ClusterEngine.Origin.IItemChangeNotifier, PeerItemChangeNotifier>());
        return builder;
    }
}
