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
        group.MapGet("/", Get).ProducesProblems(ErrorResponses.Client, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound).WithName("GetClient").WithSummary("The client's assignment (bearer of that client, or admin).");
        return group;
    }

    internal static Results<Ok<ClientResponse>, ProblemHttpResult> Get(string clientId, ClusterState state) =>
        state.GetAssignment(clientId) is { } a
            ? TypedResults.Ok(state.ToResponse(a))
            : Problems.NotFound($"Client '{clientId}' is not known; announce it with POST /api/sessions.");
}
