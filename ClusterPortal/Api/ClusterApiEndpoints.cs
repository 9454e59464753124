namespace ClusterPortal.Api;

/// <summary>Maps every REST endpoint of a node.</summary>
internal static class ClusterApiEndpoints
{
    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder routes)
    {
        routes.MapSessionsApi();
        routes.MapClientsApi();
        routes.MapItemsApi();
        routes.MapMirrorApi();
        routes.MapOriginItemsApi();
        routes.MapClientListApi();
        routes.MapClusterViewApi();
        routes.MapNodesApi();
        return routes;
    }
}
