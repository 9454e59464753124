using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterPortal.Hosting;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClusterPortal.Api;

/// <summary>Body of <c>POST /api/nodes</c>.</summary>
/// <param name="Url">Base URL of a running node (absolute http/https).</param>
/// <param name="Capacity">Clients it may serve as primary (1 to 10,000,000, <see cref="NodeCapacity.Max"/>); wins cluster-wide over the node's own setting.</param>
/// <param name="Name">Optional display name (≤ 64 characters).</param>
public sealed record AddNodeRequest(string? Url, int? Capacity, string? Name);

/// <summary>Body of <c>PATCH /api/nodes/{nodeId}</c>.</summary>
/// <param name="Capacity">New capacity (1 to 10,000,000, <see cref="NodeCapacity.Max"/>), or null to keep it.</param>
/// <param name="Mode">"Active" or "Maintenance", or null to keep it.</param>
public sealed record UpdateNodeRequest(int? Capacity, NodeMode? Mode);

/// <summary>Operator changes of the membership (docs/architecture.md §6; patent Fig. 11): add, change, remove nodes. Admin only.</summary>
internal static class NodesApi
{
    public static RouteGroupBuilder MapNodesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/nodes").WithTags("Nodes").RequireAuthorization(AuthSchemes.AdminPolicy).RequireDurableStore();
        group.ProducesProblems(ErrorResponses.Admin, StatusCodes.Status503ServiceUnavailable); // 503 + Retry-After while the node database is unavailable
        group.MapPost("/", Add).WithName("AddNode")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status502BadGateway, StatusCodes.Status504GatewayTimeout)
            .WithSummary("Add a running node at run time: 201; 400 bad URL or capacity; 409 duplicate; 502 unreachable; 504 no answer.");
        group.MapPatch("/{nodeId}", Update).WithName("UpdateNode")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge).WithSummary("Change capacity and/or mode (Active/Maintenance).");
        // 503 + Retry-After also while no member can decide membership changes (no node Up with quorum: see docs/recovery.md).
        group.MapDelete("/{nodeId}", Remove).WithName("RemoveNode").ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Remove a node: its clients fail over to their alternates first; 409 for the last member of the cluster.");
        return group;
    }

    internal static async Task<Results<Created<NodeView>, ValidationProblem, ProblemHttpResult>> Add(
        AddNodeRequest? body, MembershipAdmin admin, ClusterState state, HttpContext? http, CancellationToken cancellationToken)
    {
        if (body is null || !ClusterOptionsValidator.IsNodeUrl(body.Url))
        {
            return Problems.Field("url", $"url {ClusterOptionsValidator.NodeUrlRule} (a running node, e.g. http://10.0.0.4:5000).");
        }

        if (CapacityProblem(body.Capacity) is { } capacityProblem)
        {
            return capacityProblem;
        }

        if (body.Name is { Length: > 64 })
        {
            return Problems.Field("name", "name must be at most 64 characters.");
        }

        MemberChangeReply added;
        try
        {
            added = await admin.AddNodeAsync(body.Url, body.Capacity!.Value, body.Name, cancellationToken); // checked above
        }
        catch (TimeoutException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status504GatewayTimeout, title: "Node did not answer");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return TypedResults.Problem($"{body.Url} could not be reached at its backplane: {ex.Message}", statusCode: StatusCodes.Status502BadGateway, title: "Node unreachable");
        }

        if (added is not { Status: MemberChangeStatus.Applied, Record: { } record })
        {
            return Refused(added, http);
        }

        return TypedResults.Created($"/api/nodes/{record.NodeId}", AsApplied(record, state));
    }

    /// <summary>
    /// The answer to an applied change: this node's view of the member with the applied record over it. The membership
    /// authority may be another node, whose change reaches this node's view a moment later: answering from the view
    /// alone showed the mode before a PATCH (an operator who put a node in maintenance read "Active" back) and a node
    /// added again as Left.
    /// </summary>
    internal static NodeView AsApplied(MemberRecord record, ClusterState state)
    {
        var seen = ClusterApi.GetNodes(state).Value!.FirstOrDefault(n => n.NodeId == record.NodeId);
        if (seen is null)
        {
            return new NodeView(record.NodeId, record.Url, record.Name, NodeState.Joining, record.Mode, record.Capacity, 0, 0, 0, 0, 0, record.Zone);
        }

        var now = record.Removed ? NodeState.Left : seen.State == NodeState.Left ? NodeState.Joining : seen.State;
        return seen with
        {
            Url = record.Url, Name = record.Name, State = now, Mode = record.Mode, Capacity = record.Capacity, Zone = record.Zone,
            LoadRatio = record.Capacity > 0 ? Math.Round((double)seen.PrimaryCount / record.Capacity, 4) : seen.LoadRatio,
        };
    }

    internal static async Task<Results<Ok<NodeView>, ValidationProblem, ProblemHttpResult>> Update(
        string nodeId, UpdateNodeRequest? body, MembershipAdmin admin, ClusterState state, HttpContext? http, CancellationToken cancellationToken)
    {
        if (body is null || (body.Capacity is null && body.Mode is null))
        {
            return Problems.Field("body", "Give capacity and/or mode, e.g. {\"mode\":\"Maintenance\"}.");
        }

        if (body.Capacity is not null && CapacityProblem(body.Capacity) is { } capacityProblem)
        {
            return capacityProblem;
        }

        if (body.Mode is { } mode && !Enum.IsDefined(mode))
        {
            return Problems.Field("mode", "mode must be Active or Maintenance.");
        }

        var changed = await admin.UpdateNodeAsync(nodeId, body.Capacity, body.Mode, cancellationToken);
        return changed.Status == MemberChangeStatus.Applied
            ? TypedResults.Ok(changed.Record is { } record ? AsApplied(record, state) : ClusterApi.GetNodes(state).Value!.First(n => n.NodeId == nodeId))
            : Refused(changed, http);
    }

    /// <summary>The 400 naming <c>capacity</c> for a capacity outside 1 … <see cref="NodeCapacity.Max"/>; null when valid.</summary>
    internal static ValidationProblem? CapacityProblem(int? capacity) => capacity is { } c && NodeCapacity.IsValid(c)
        ? null
        : Problems.Field("capacity", $"capacity must be a whole number from 1 to {NodeCapacity.Max}.");

    internal static async Task<Results<NoContent, ProblemHttpResult>> Remove(string nodeId, MembershipAdmin admin, HttpContext? http, CancellationToken cancellationToken)
    {
        var removed = await admin.RemoveNodeAsync(nodeId, cancellationToken);
        return removed.Status == MemberChangeStatus.Applied ? TypedResults.NoContent() : Refused(removed, http);
    }

    /// <summary>A change the membership authority did not make: 404 unknown node, 409 duplicate, 503 (+ <c>Retry-After</c>) no authority now.</summary>
    private static ProblemHttpResult Refused(MemberChangeReply reply, HttpContext? http) => reply.Status switch
    {
        MemberChangeStatus.NotFound => Problems.NotFound(reply.Error ?? "No such node in the cluster."),
        MemberChangeStatus.Conflict => TypedResults.Problem(reply.Error, statusCode: StatusCodes.Status409Conflict, title: "Membership conflict"),
        _ when http is not null => Problems.Unavailable(http, reply.Error ?? "The membership cannot be changed now.", 1),
        _ => TypedResults.Problem(reply.Error, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable"),
    };
}
