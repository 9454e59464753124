using System.Globalization;
using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterEngine.Mirroring;
using ClusterEngine.Routing;
using ClusterPortal.Security;

namespace ClusterPortal.Api;

/// <summary><c>DELETE /api/clients/{clientId}/mirror</c>: the client reports that it cleared its cache (DESIGN.md §5, §8).</summary>
internal static class MirrorApi
{
    public static RouteHandlerBuilder MapMirrorApi(this IEndpointRouteBuilder routes) =>
        routes.MapDelete("/api/clients/{clientId}/mirror", Clear)
            .RequireAuthorization(AuthSchemes.ClientPolicy).WithTags("Clients").WithName("ClearMirror")
            .WithSummary("The client cleared its cache: its serving node empties the mirror and answers 204 with the new X-Mirror-Sequence.");

    internal static async Task<IResult> Clear(HttpContext http, string clientId, ClusterNode node, ItemForwarder forwarder,
        ClusterBackplane backplane, MirrorStore mirrors)
    {
        // The serving node's mirror is the one that decides: forward there (one hop), as item requests do.
        for (var attempt = 0; ; attempt++)
        {
            var decision = node.Route(clientId);
            if (decision.Kind == RoutingKind.NotAssigned)
            {
                return Problems.NotFound($"Client '{clientId}' is not known; announce it with POST /api/sessions.");
            }

            if (decision.ServingNodeId is not { } serving)
            {
                return Problems.Unavailable(http, "No node can serve this client now.");
            }

            if (serving == node.NodeId)
            {
                break;
            }

            if (ItemForwarder.IsForwarded(http.Request) || attempt == 2)
            {
                return Problems.Unavailable(http, $"This node is not the serving node ({serving}) of client '{clientId}'.", 1);
            }

            if (await forwarder.TryForwardAsync(http, serving))
            {
                return Results.Empty;
            }

            backplane.ReportUnreachable(serving);
        }

        var sequence = mirrors.Clear(clientId);
        http.Response.Headers[ItemConditions.SequenceHeader] = sequence.ToString("x16", CultureInfo.InvariantCulture);
        http.Response.Headers[ItemsApi.ServedByHeader] = node.NodeId;
        return TypedResults.NoContent();
    }
}
