using System.Globalization;
using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterEngine.Mirroring;
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
        // The serving node's mirror is the one that decides: answered there (one hop), as item requests are.
        if ((await ClientRouting.RouteAsync(http, clientId, node, forwarder, backplane)).Answer is { } answer)
        {
            return answer;
        }

        var sequence = mirrors.Clear(clientId);
        http.Response.Headers[ItemConditions.SequenceHeader] = sequence.ToString("x16", CultureInfo.InvariantCulture);
        http.Response.Headers[ItemsApi.ServedByHeader] = node.NodeId;
        return TypedResults.NoContent();
    }
}
