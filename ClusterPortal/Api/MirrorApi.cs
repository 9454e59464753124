using ClusterEngine;
using ClusterEngine.Mirroring;
using ClusterPortal.Client.Contract;
using ClusterPortal.Security;

namespace ClusterPortal.Api;

/// <summary>
/// <c>DELETE /api/clients/{clientId}/mirror</c>: the client reports that it cleared its cache (docs/architecture.md §5, §8);
/// <c>GET /api/clients/{clientId}/mirror</c>: what this node's mirror of the client holds (admin; patent Fig. 9/10).
/// </summary>
internal static class MirrorApi
{
    public static RouteHandlerBuilder MapMirrorApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/clients/{clientId}/mirror", Inspect)
            .RequireAuthorization(AuthSchemes.AdminPolicy).WithTags("Clients").WithName("GetMirror")
            .ProducesProblems(ErrorResponses.Admin, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("Admin: this node's mirror of the client (not forwarded): role, sequence, sync checkpoint and entries.");
        return routes.MapDelete("/api/clients/{clientId}/mirror", Clear)
            .RequireClientAccess().WithTags("Clients").WithName("ClearMirror")
            .ProducesProblems(ErrorResponses.Client, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The client cleared its cache: its serving node empties the mirror and answers 204 with the new X-Mirror-Sequence.");
    }

    /// <summary>This node's mirror of a client, as it is here (for operators, tests and the sync measurements).</summary>
    public sealed record MirrorView(string NodeId, string ClientId, string Role, string Sequence, string? SyncedSequence, IReadOnlyList<MirrorEntryView> Entries);

    /// <summary>One entry: item key, the ETag the client holds, size in bytes.</summary>
    public sealed record MirrorEntryView(string Key, string ETag, long Size);

    internal static IResult Inspect(string clientId, ClusterNode node, MirrorStore mirrors)
    {
        var assignment = node.State.GetAssignment(clientId);
        var role = assignment?.Primary == node.NodeId ? "Primary" : assignment?.Alternate == node.NodeId ? "Alternate" : "None";
        var sequence = mirrors.Mirror.CurrentSequence(clientId);
        if (sequence == 0 && assignment is null)
        {
            return Problems.NotFound($"Client '{clientId}' is not known here.");
        }

        var synced = assignment?.Alternate is { } alternate && role == "Primary" ? mirrors.Checkpoint(clientId, alternate) : (ulong?)null;
        var entries = mirrors.Mirror.Entries(clientId).Select(e => new MirrorEntryView(e.Key, ItemValidator.ToETag(e.Validator), e.SizeBytes)).ToList();
        return TypedResults.Ok(new MirrorView(node.NodeId, clientId, role, MirrorSequence.Format(sequence),
            synced is { } s ? MirrorSequence.Format(s) : null, entries));
    }

    internal static async Task<IResult> Clear(HttpContext http, string clientId, ClusterNode node, ClientRouter router,
        MirrorStore mirrors)
    {
        // The serving node's mirror is the one that decides: answered there (one hop), as item requests are.
        if ((await router.RouteAsync(http, clientId)).Answer is { } answer)
        {
            return answer;
        }

        var sequence = mirrors.Clear(clientId);
        http.Response.Headers[ClusterHeaders.MirrorSequence] = MirrorSequence.Format(sequence);
        http.Response.Headers[ClusterHeaders.ServedBy] = node.NodeId;
        return TypedResults.NoContent();
    }
}
