using ClusterEngine;
using ClusterPortal.Client.Contract;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClusterPortal.Api;

/// <summary><c>/api/clients/{clientId}</c>: a client's assignment (docs/architecture.md §5).</summary>
internal static class ClientsApi
{
    public static RouteGroupBuilder MapClientsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/clients/{clientId}").WithTags("Clients").RequireClientAccess();
        group.MapGet("/", Get).ProducesProblems(ErrorResponses.Client, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithName("GetClient").WithSummary("The client's assignment (bearer of that client, or admin); 503 at a node that was removed from the cluster.");
        return group;
    }

    /// <summary>
    /// The client's assignment as this node holds it. A removed node answers 503 (<see cref="Problems.Removed"/>): its view
    /// stopped at the removal while the others failed its clients over, so it named primaries that no longer were (found
    /// by attack), and a device asking it whether the cluster still knows it got a stale yes. A client this view does not
    /// know yet is waited for (<see cref="ClientRouter.AssignmentArrivesAsync"/>) before the 404.
    /// </summary>
    internal static async Task<Results<Ok<ClientResponse>, ProblemHttpResult>> Get(HttpContext http, string clientId, ClusterState state,
        ClusterEngine.Membership.LocalNodeStatus self, ClientRouter router)
    {
        if (self.Removed)
        {
            return Problems.Removed(http, state.LocalNodeId, "This node was removed from the cluster; ask another node.");
        }

        // A client announced at another node a moment ago may not have reached this view yet: as for its items, wait for
        // its assignment (Cluster:UnknownClientWait) before the 404.
        var a = state.GetAssignment(clientId);
        if (a is null && await router.AssignmentArrivesAsync(clientId, http.RequestAborted))
        {
            a = state.GetAssignment(clientId);
        }

        return a is not null
            ? TypedResults.Ok(state.ToResponse(a))
            : Problems.NotFound($"Client '{clientId}' is not known; announce it with POST /api/sessions.");
    }
}
