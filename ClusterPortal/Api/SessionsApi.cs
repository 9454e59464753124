using System.Text.Json;
using ClusterEngine;
using ClusterEngine.Placement;
using ClusterPortal.Client.Contract;
using ClusterPortal.Hosting;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClusterPortal.Api;

/// <summary><c>/api/sessions</c>: announce / log on (patent Fig. 1, steps 100–120) and log off; bodies are the contract's <see cref="SessionRequest"/> and <see cref="SessionResponse"/>.</summary>
internal static class SessionsApi
{
    public static RouteGroupBuilder MapSessionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/sessions").WithTags("Sessions");
        group.MapPost("/", Announce).AllowAnonymous().RequireRateLimiting(PortalServiceCollectionExtensions.SessionRatePolicy)
            .WithName("Announce").WithSummary("Announce a client: 201 with its assignment and token (new), 200 with a renewed token (existing; needs its token).")
            .Accepts<SessionRequest>("application/json")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status413PayloadTooLarge, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);
        group.MapDelete("/{clientId}", LogOff).RequireAuthorization(AuthSchemes.ClientPolicy)
            .ProducesProblems(ErrorResponses.Client, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithName("LogOff").WithSummary("Log off: starts the on-logoff mirror sync; the assignment stays.");
        return group;
    }

    internal static async Task<Results<Created<SessionResponse>, Ok<SessionResponse>, ValidationProblem, ProblemHttpResult>> Announce(
        HttpContext http, ClusterNode node, PlacementCoordinator placement, ClientTokenService tokens)
    {
        SessionRequest? body;
        try
        {
            body = await http.Request.ReadFromJsonAsync<SessionRequest>(http.RequestAborted);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Problems.Field("body", "The body must be a JSON object like {\"clientId\":\"device-1\"} sent as application/json.");
        }

        if (ClientIds.Problem(body?.ClientId) is { } problem)
        {
            return Problems.Field("clientId", problem);
        }

        var clientId = body!.ClientId!;
        if (node.State.GetAssignment(clientId) is null)
        {
            if (DurableWrites.Refusal(http) is { } refused)
            {
                return refused; // a new client's claim must persist
            }
        }
        else
        {
            var auth = await http.AuthenticateAsync(AuthSchemes.ClientToken);
            var tokenClient = auth.Principal?.FindFirst(AuthSchemes.ClientIdClaim)?.Value;
            if (tokenClient is null)
            {
                return Problems.Unauthorized($"Client '{clientId}' exists: a new session needs its current token (Authorization: Bearer).");
            }

            if (!string.Equals(tokenClient, clientId, StringComparison.Ordinal))
            {
                return Problems.Forbidden("The bearer token belongs to another client.");
            }
        }

        var result = await placement.AnnounceAsync(clientId, http.RequestAborted);
        if (result.Outcome == PlacementOutcome.ClusterFull)
        {
            return Problems.Unavailable(http, "The cluster is full: no eligible node is below capacity.", 30);
        }

        var (token, expires) = tokens.Issue(clientId);
        var a = result.Assignment!;
        var response = new SessionResponse(clientId, node.State.Ref(a.Primary), a.Alternate is null ? null : node.State.Ref(a.Alternate), a.Bounces, token, expires);
        return result.Outcome == PlacementOutcome.Placed
            ? TypedResults.Created("/" + ClusterPaths.Client(clientId), response)
            : TypedResults.Ok(response);
    }

    internal static async Task<IResult> LogOff(HttpContext http, string clientId, ClusterNode node, ClientRouter router,
        Jobs.MirrorSyncTrigger sync)
    {
        if (node.State.GetAssignment(clientId) is null)
        {
            return Problems.NotFound($"Client '{clientId}' is not known.");
        }

        // The on-logoff sync runs where the client's mirror is: on its serving node (one hop, as item requests).
        if ((await router.RouteAsync(http, clientId)).Answer is { } answer)
        {
            return answer;
        }

        sync.LoggedOff(clientId);
        return TypedResults.NoContent();
    }
}
