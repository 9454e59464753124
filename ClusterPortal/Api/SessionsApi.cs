using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ClusterEngine;
using ClusterEngine.Placement;
using ClusterPortal.Client.Contract;
using ClusterPortal.Hosting;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Api;

/// <summary><c>/api/sessions</c>: announce / log on (patent Fig. 1, steps 100–120) and log off; bodies are the contract's <see cref="SessionRequest"/> and <see cref="SessionResponse"/>.</summary>
internal static partial class SessionsApi
{
    public static RouteGroupBuilder MapSessionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/sessions").WithTags("Sessions");
        // The announce's services are singletons: resolved once, not per request from a request scope (as ItemsApi does).
        var services = new Lazy<Services>(() => Services.From(routes.ServiceProvider));
        group.MapPost("/", (Delegate)((HttpContext http) => services.Value.AnnounceAsync(http)))
            .AllowAnonymous().RequireRateLimiting(PortalServiceCollectionExtensions.SessionRatePolicy)
            .WithName("Announce").WithSummary("Announce a client: 201 with its assignment and token (new), 200 with a renewed token (existing; needs its token); 409 while another announce of the same new id is under way.")
            .Accepts<SessionRequest>("application/json")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests,
                StatusCodes.Status503ServiceUnavailable);
        group.MapDelete("/{clientId}", LogOff).RequireClientAccess()
            .ProducesProblems(ErrorResponses.Client, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithName("LogOff").WithSummary("Log off: starts the on-logoff mirror sync; the assignment stays.");
        return group;
    }

    /// <summary>The announce endpoint's singletons, resolved once.</summary>
    private sealed record Services(ClusterNode Node, PlacementCoordinator Placement, ClientTokenService Tokens,
        ClusterEngine.Membership.LocalNodeStatus Self, ClusterEngine.Persistence.PersistenceWriter? Writer, SessionJson Json, ILogger Logger)
    {
        public static Services From(IServiceProvider s) => new(s.GetRequiredService<ClusterNode>(), s.GetRequiredService<PlacementCoordinator>(),
            s.GetRequiredService<ClientTokenService>(), s.GetRequiredService<ClusterEngine.Membership.LocalNodeStatus>(),
            s.GetService<ClusterEngine.Persistence.PersistenceWriter>(), SessionJson.From(s.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions),
            s.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SessionsApi)));

        public Task<Results<SessionAnswer, ValidationProblem, ProblemHttpResult>> AnnounceAsync(HttpContext http) =>
            Announce(http, Node, Placement, Tokens, Self, Writer, Json, Logger);
    }

    /// <summary>
    /// How the node reads a <see cref="SessionRequest"/> and writes a <see cref="SessionResponse"/> (the options of
    /// <c>ConfigureHttpJsonOptions</c>), looked up once: <c>ReadFromJsonAsync</c> without them asks the request's services.
    /// </summary>
    internal sealed record SessionJson(JsonTypeInfo<SessionRequest> Request, JsonTypeInfo<SessionResponse> Response)
    {
        public static SessionJson From(JsonSerializerOptions options) => new(
            (JsonTypeInfo<SessionRequest>)options.GetTypeInfo(typeof(SessionRequest)), (JsonTypeInfo<SessionResponse>)options.GetTypeInfo(typeof(SessionResponse)));
    }

    internal static async Task<Results<SessionAnswer, ValidationProblem, ProblemHttpResult>> Announce(
        HttpContext http, ClusterNode node, PlacementCoordinator placement, ClientTokenService tokens, ClusterEngine.Membership.LocalNodeStatus self,
        ClusterEngine.Persistence.PersistenceWriter? writer, SessionJson json, ILogger logger)
    {
        SessionRequest? body;
        try
        {
            body = await http.Request.ReadFromJsonAsync(json.Request, http.RequestAborted);
        }
        catch (JsonException ex) when (ex.InnerException is not JsonException && MistypedField(ex.Path) is { } field)
        {
            // {"retryKey":123} names the field; a syntax error (the reader's own JsonException inside) is the body's.
            return Problems.Field(field, "Not a valid value here: expected a string.");
        }
        catch (InvalidOperationException ex) when (Hosting.UnsupportedMediaType.IsUnreadableBody(ex))
        {
            // Not JSON by its Content-Type (none, text/plain, an unknown charset): 415 naming the header, as at every endpoint
            // with a body; it was a 400 about the body here, so a script could not tell the header from the body.
            return Problems.UnsupportedMediaType(http);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Problems.Field("body", "The body must be a JSON object like {\"clientId\":\"device-1\"} sent as application/json.");
        }

        if (ClientIds.Problem(body?.ClientId) is { } problem)
        {
            return Problems.Field("clientId", problem);
        }

        if (RetryKeys.Problem(body!.RetryKey) is { } keyProblem)
        {
            return Problems.Field("retryKey", keyProblem);
        }

        // A removed node places nobody and sends no claims (its peers refuse them as from a non-member): it says so, and the
        // device tries another node, as for its item requests.
        if (self.Removed)
        {
            return Problems.Removed(http, node.NodeId, "This node was removed from the cluster; announce at another node.");
        }

        var clientId = body.ClientId!;
        var knownHere = node.State.GetAssignment(clientId) is not null;
        if (!knownHere && DurableWrites.Refusal(http, writer) is { } refused)
        {
            return refused; // a new client's claim must persist
        }

        // A retry key counts only without a token: a device that holds its token shows it (docs/identity.md, "A lost announce answer").
        var retryTag = body.RetryKey is { } key && http.Request.Headers.Authorization.Count == 0 ? AnnounceRetry.Tag(key) : null;
        if (knownHere && retryTag is null && TokenProblem(http, tokens, clientId) is { } tokenProblem)
        {
            return tokenProblem;
        }

        // A client this node does not know is claimed at its two claim holders first (docs/identity.md): one announce of a new
        // id wins cluster-wide; an id the cluster knows needs its token here as anywhere — or, shortly after its registration,
        // the retry key it was registered with, which its claim holders recognise.
        var result = await placement.AnnounceAsync(clientId, retryTag, http.RequestAborted);
        var retried = result is { Outcome: PlacementOutcome.Existing, RetryMatched: true, Assignment: not null };
        if (knownHere && !retried && result.Outcome != PlacementOutcome.Unavailable && TokenProblem(http, tokens, clientId) is { } retryProblem)
        {
            return retryProblem;
        }

        switch (result.Outcome)
        {
            case PlacementOutcome.ClusterFull:
                return Problems.Unavailable(http, "The cluster is full: no eligible node is below capacity.", 30);
            case PlacementOutcome.Refused:
                return Problems.Unavailable(http,
                    "No node can take a new client right now: the nodes below capacity are unreachable, without quorum or in maintenance; retry.", 1);
            case PlacementOutcome.Unavailable:
                return Problems.Unavailable(http, "No node can decide this client id's claim right now; retry.", 1);
            case PlacementOutcome.Contended:
                return TypedResults.Problem($"Client '{clientId}' is being announced at another node right now: a client id is claimed once.",
                    statusCode: StatusCodes.Status409Conflict, title: "Client id being claimed");
            case PlacementOutcome.Existing when !knownHere && !retried:
                if (TokenProblem(http, tokens, clientId) is { } existingProblem)
                {
                    return existingProblem;
                }

                if (result.Assignment is null)
                {
                    return Problems.Unavailable(http, "This node is still learning the client's assignment; retry.", 1);
                }

                break;
        }

        var a = result.Assignment!;
        if (retried)
        {
            LogRetryRecovered(logger, clientId);
        }

        if (result.Outcome == PlacementOutcome.Existing)
        {
            // A renewed session is the device seen, wherever it announced: its primary and alternate hear of it
            // (ClientSeenRelay), so a device that only logs on is not removed as idle (docs/architecture.md §5).
            node.State.MarkSeen(clientId);
        }

        var registered = result.Outcome == PlacementOutcome.Placed || retried; // the retry gets the answer the device lost
        if (registered && writer is not null)
        {
            // A 201 promises that the registration survives a crash of this node: until the change reaches the peers (the
            // broadcast does not wait) — and on a node alone, for good — only this node's memory holds it, so the answer
            // waits for the node's own commit (docs/persistence.md "What an answer promises"). If that commit fails, the
            // database just went away: the client is served from memory, as every write is during an outage.
            await writer.WhenStoredAsync();
        }

        var (token, expires) = tokens.Issue(clientId, a.Registration);
        var response = new SessionResponse(clientId, node.State.Ref(a.Primary), a.Alternate is null ? null : node.State.Ref(a.Alternate), a.Bounces, token, expires);
        return registered
            ? new SessionAnswer(StatusCodes.Status201Created, "/" + ClusterPaths.Client(clientId), response, json.Response)
            : new SessionAnswer(StatusCodes.Status200OK, null, response, json.Response);
    }

    /// <summary>The request field a value of the wrong JSON type was found at (names bind case-insensitively), or null.</summary>
    private static string? MistypedField(string? path) =>
        string.Equals(path, "$.clientId", StringComparison.OrdinalIgnoreCase) ? "clientId"
        : string.Equals(path, "$.retryKey", StringComparison.OrdinalIgnoreCase) ? "retryKey"
        : null;

    /// <summary>
    /// The 401 (no token, a foreign one, one expired too long ago, or one of an earlier registration of the id) or 403
    /// (another client's) for an existing client's new
    /// session; null when the token is its own — valid, or expired but still renewable
    /// (<see cref="ClientTokenService.IsRenewable"/>: a device offline past its token's expiry logs on again with it).
    /// </summary>
    private static ProblemHttpResult? TokenProblem(HttpContext http, ClientTokenService tokens, string clientId)
    {
        var authorization = http.Request.Headers.Authorization;
        if (authorization.Count != 1 || !ClientTokenAuthenticationHandler.TryBearerToken(authorization[0], out var token))
        {
            return Problems.Unauthorized(http, AuthAnswers.Bearer,
                $"Client '{clientId}' exists: a new session needs its current token (one Authorization: Bearer field).");
        }

        var check = tokens.Check(token, out var tokenClient, out var expiresAt);
        if (check == TokenCheck.Invalid)
        {
            return Problems.Unauthorized(http, AuthAnswers.InvalidBearer("The token is not valid"),
                $"Client '{clientId}' exists and the bearer token is not one this cluster issued (malformed, altered, or signed with another Cluster:Key).");
        }

        if (check == TokenCheck.Superseded)
        {
            return Problems.Unauthorized(http, AuthAnswers.InvalidBearer(ClientTokenAuthenticationHandler.SupersededDescription),
                ClientTokenAuthenticationHandler.Superseded(tokenClient!));
        }

        if (check == TokenCheck.Expired && !tokens.IsRenewable(expiresAt))
        {
            return Problems.Unauthorized(http, AuthAnswers.InvalidBearer("The token expired"), ClientTokenAuthenticationHandler.Expired(tokens, expiresAt));
        }

        return string.Equals(tokenClient, clientId, StringComparison.Ordinal) ? null : Problems.Forbidden("The bearer token belongs to another client.");
    }

    [LoggerMessage(EventId = LogEvents.AnnounceRetryRecovered, Level = LogLevel.Information,
        Message = "Client {ClientId} repeated its announce with the retry key it registered with: its token issued again (the first answer was lost)")]
    private static partial void LogRetryRecovered(ILogger logger, string clientId);

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
