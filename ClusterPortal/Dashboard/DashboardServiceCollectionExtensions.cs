using ClusterEngine;
using ClusterEngine.Membership;
using ClusterPortal.Hubs;
using ClusterPortal.Metrics;

namespace ClusterPortal.Dashboard;

/// <summary>Registers the dashboard's shared services and the feed hub.</summary>
internal static class DashboardServiceCollectionExtensions
{
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddSingleton<INodeTrafficSource>(sp => sp.GetRequiredService<PortalInstruments>());
        services.AddSingleton(sp => new DashboardSampler(sp.GetRequiredService<ClusterState>(),
            sp.GetRequiredService<NodeTrafficRelay>().TrafficOf, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ClusterEngine.Changes.ClusterChanges>(), sp.GetRequiredService<ILogger<DashboardSampler>>()));
        services.AddHostedService(sp => sp.GetRequiredService<DashboardSampler>());
        services.AddHostedService<FeedBroadcaster>();
        services.AddScoped<INodeAdmin, NodeAdmin>();
        services.AddCascadingAuthenticationState();
        return services;
    }

    public static IEndpointRouteBuilder MapDashboardHubs(this IEndpointRouteBuilder routes)
    {
        routes.MapHub<FeedHub>("/hubs/feed").RequireAuthorization(Security.AuthSchemes.ViewerPolicy);
        return routes;
    }
}
