using ClusterEngine;
using ClusterEngine.Placement;
using ClusterPortal.Client.Contract;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClusterPortal.Api;

/// <summary>A page of assignments (<c>GET /api/clients</c>).</summary>
/// <param name="Items">The assignments of this page, ordered by client id.</param>
/// <param name="Total">Matching clients over all pages.</param>
/// <param name="Page">Page number, from 1.</param>
/// <param name="PageSize">Page size (1–500).</param>
public sealed record ClientPage(IReadOnlyList<ClientResponse> Items, int Total, int Page, int PageSize);

/// <summary><c>GET /api/clients?nodeId=&amp;role=&amp;q=&amp;page=&amp;pageSize=</c> (docs/architecture.md §6).</summary>
internal static class ClientListApi
{
    public static RouteHandlerBuilder MapClientListApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/clients", List).WithTags("Clients").RequireAuthorization(AuthSchemes.ViewerPolicy)
            .ProducesProblems(ErrorResponses.Viewer, StatusCodes.Status400BadRequest)
            .WithName("ListClients").WithSummary("Paged assignments, filtered by node and role (primary|alternate) and client-id substring.");

    internal static Results<Ok<ClientPage>, ValidationProblem> List(ClusterState state, string? nodeId, string? role, string? q, int? page, int? pageSize)
    {
        if (role is not (null or "" or "primary" or "alternate"))
        {
            return Problems.Field("role", "role must be 'primary' or 'alternate'.");
        }

        if (page is < 1)
        {
            return Problems.Field("page", "page starts at 1.");
        }

        if (pageSize is < 1 or > 500)
        {
            return Problems.Field("pageSize", "pageSize must be between 1 and 500.");
        }

        var (p, size) = (page ?? 1, pageSize ?? 50);
        var result = state.QueryClients(new ClientQuery((int)Math.Min((long)(p - 1) * size, int.MaxValue - size), size, q, string.IsNullOrEmpty(nodeId) ? null : nodeId,
            role switch { "primary" => ClientRole.Primary, "alternate" => ClientRole.Alternate, _ => ClientRole.Any }));
        var items = result.Rows.Select(r => state.ToResponse(r.Assignment)).ToList();
        return TypedResults.Ok(new ClientPage(items, result.Total, p, size));
    }
}
