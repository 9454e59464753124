using ClusterEngine;
using ClusterEngine.Mirroring;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using ClusterPortal.Metrics;
using ClusterPortal.Security;

namespace ClusterPortal.Api;

/// <summary>
/// <c>GET|HEAD /api/clients/{clientId}/items/{**key}</c>: serve a data item or "use your cached copy"
/// (patent Fig. 9, steps 900–950; Fig. 10, steps 1000–1070).
/// </summary>
internal static class ItemsApi
{
    public static RouteHandlerBuilder MapItemsApi(this IEndpointRouteBuilder routes)
    {
        // Every service the endpoint needs is a singleton: resolved once, on the first request, rather than per request
        // from a request scope (a minimal-API parameter from services creates the request's service scope and looks
        // each one up: README "Where the microseconds go").
        var services = new Lazy<Services>(() => Services.From(routes.ServiceProvider));
        return routes.MapMethods("/api/clients/{clientId}/items/{**key}", [HttpMethods.Get, HttpMethods.Head],
                (HttpContext http, string clientId, string key) => services.Value.ServeAsync(http, clientId, key))
            .RequireClientAccess().WithTags("Items").WithName("GetItem")
            .ProducesProblems(ErrorResponses.Client, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithSummary("An item: 200 with body and ETag, or 304 when the client's validator (If-None-Match) or, with Prefer: cache-mirror, the node's mirror says the client holds it.");
    }

    /// <summary>The endpoint's singletons, resolved once.</summary>
    private sealed record Services(ClusterNode Node, ClientRouter Router, OriginCache Origin, MirrorStore Mirror, PortalInstruments Metrics,
        Jobs.MirrorSyncTrigger Sync, ItemRepresentation Representation)
    {
        public static Services From(IServiceProvider s) => new(s.GetRequiredService<ClusterNode>(), s.GetRequiredService<ClientRouter>(),
            s.GetRequiredService<OriginCache>(), s.GetRequiredService<MirrorStore>(), s.GetRequiredService<PortalInstruments>(),
            s.GetRequiredService<Jobs.MirrorSyncTrigger>(), s.GetRequiredService<ItemRepresentation>());

        public Task<IResult> ServeAsync(HttpContext http, string clientId, string key) =>
            Serve(http, clientId, key, Node, Router, Origin, Mirror, Metrics, Sync, Representation);
    }

    internal static async Task<IResult> Serve(HttpContext http, string clientId, string key, ClusterNode node, ClientRouter router,
        OriginCache origin, MirrorStore mirror, PortalInstruments metrics, Jobs.MirrorSyncTrigger sync, ItemRepresentation representation)
    {
        if (KeyProblem(http, key) is { } keyProblem)
        {
            metrics.Other();
            return keyProblem;
        }

        // Patent Fig. 6: answered here, or forwarded once to the serving node (failing over in the same request).
        var route = await router.RouteAsync(http, clientId);
        if (route.Answer is { } answer)
        {
            if (!route.Forwarded)
            {
                metrics.Other();
            }

            return answer;
        }

        OriginItem? item;
        try
        {
            item = await origin.GetAsync(ItemKey.Parse(key), http.RequestAborted);
        }
        catch (InvalidItemKeyException ex)
        {
            metrics.Other();
            return Problems.Field("key", $"The item key is not valid ({ex.Error}).");
        }
        catch (HttpRequestException ex)
        {
            metrics.Other();
            return TypedResults.Problem($"The origin failed: {ex.Message}", statusCode: StatusCodes.Status502BadGateway, title: "Origin unavailable");
        }

        if (item is null)
        {
            metrics.Other();
            return Problems.NotFound($"No item '{key}'.");
        }

        var result = Answer(http, clientId, item, mirror, metrics, representation, out var mirrorChanged);

        // Mirror:SyncPolicy (README "Mirror synchronisation"): EachTransaction waits here for the alternate's acknowledgement; the job
        // policies only mark the client (the job is enqueued off the response path). An answer that changed nothing has nothing to sync.
        await sync.AfterTransactionAsync(clientId, mirrorChanged, http.RequestAborted);
        return result;
    }

    /// <summary>The 400 problem naming <c>key</c> for a key that breaks the rules as routed or as the client sent it; null when valid.</summary>
    internal static IResult? KeyProblem(HttpContext http, string key)
    {
        var keyError = ItemKey.Validate(key);
        if (keyError == ItemKeyError.None)
        {
            keyError = RawKeyProblem(http) ?? ItemKeyError.None;
        }

        return keyError == ItemKeyError.None
            ? null
            : Problems.Field("key", $"The item key is not valid ({keyError}): use '/'-separated segments without '.', '..', '%' or '\\'.");
    }

    /// <summary>
    /// The framework decodes <c>%2e</c> and removes dot segments before routing, so <c>a/%2e%2e/b</c> would
    /// arrive as <c>b</c>: look at the request target as the client sent it and refuse dot segments,
    /// encoded dots, slashes and backslashes, so nothing is served for a path the client did not mean.
    /// </summary>
    internal static ItemKeyError? RawKeyProblem(HttpContext http)
    {
        var path = Hosting.DotSegmentGuard.PathOf(http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "");
        if (path.Contains('\\') || (path.Contains('%') && (path.Contains("%2e", StringComparison.OrdinalIgnoreCase)
            || path.Contains("%2f", StringComparison.OrdinalIgnoreCase) || path.Contains("%5c", StringComparison.OrdinalIgnoreCase))))
        {
            return ItemKeyError.PercentEncoding;
        }

        return Hosting.DotSegmentGuard.HasDotSegment(path) ? ItemKeyError.DotSegment : null;
    }

    /// <summary>
    /// Fig. 9/10: the HTTP request becomes <see cref="ItemConditions"/>, <see cref="ItemAnswerRule"/> decides (asking the
    /// mirror only when it must), the mirror is updated as the decision says, and the decision becomes the answer.
    /// </summary>
    private static IResult Answer(HttpContext http, string clientId, OriginItem item, MirrorStore mirror, PortalInstruments metrics,
        ItemRepresentation representation, out bool mirrorChanged)
    {
        mirrorChanged = false;
        var conditions = ConditionsOf(http.Request);
        var key = item.Key.Value;
        var verdict = ItemAnswerRule.ConsultsMirror(conditions)
            ? mirror.Decide(clientId, key, item.Validator, conditions.EchoedSequence)
            : (MirrorDecision?)null;
        var answer = ItemAnswerRule.Decide(conditions, item.Validator, verdict);
        var sequence = answer.Mirror == MirrorEffect.Record
            ? mirror.Record(clientId, key, item.Validator, item.Length, conditions.EchoedSequence, conditions.UsesMirror, out mirrorChanged)
            : answer.ConfirmedSequence;

        var headers = http.Response.Headers;
        headers.ETag = item.ETag;
        headers.CacheControl = representation.CacheControl;
        if (answer.VariesByDictionary)
        {
            headers.Vary = ClusterHeaders.DeltaVary;
        }

        if (answer.PreferenceApplied)
        {
            headers[ClusterHeaders.PreferenceApplied] = ClusterHeaders.CacheMirrorPreference;
        }

        if (answer.SendsSequence && sequence is { } sent)
        {
            headers[ClusterHeaders.MirrorSequence] = MirrorSequence.Format(sent);
        }

        if (answer.NotModified)
        {
            // RFC 9110 §15.4.5: with an ETag present, Last-Modified adds nothing for the client's cache update and
            // "SHOULD NOT" be sent on a 304; Date, ETag, Cache-Control and Vary stay as on the 200.
            metrics.SentNotModified(item.Length);
            return NotModifiedResult.Instance;
        }

        return representation.Send(http, item, answer, metrics);
    }

    /// <summary>
    /// The request's conditions, as HTTP carries them; invalid values are ignored (see <see cref="ItemConditions.FromHeaders"/>).
    /// <c>If-Modified-Since</c> is not read: a date names no version (<see cref="ItemAnswerRule"/>).
    /// </summary>
    internal static ItemConditions ConditionsOf(HttpRequest request)
    {
        var headers = request.Headers;
        // An absent header is passed as the shared empty array: nothing is boxed for it.
        IReadOnlyCollection<string?> none = [];
        var (ifNoneMatch, prefer, sequence) = (headers.IfNoneMatch, headers[ClusterHeaders.Prefer], headers[ClusterHeaders.MirrorSequence]);
        var conditions = ItemConditions.FromHeaders(HttpMethods.IsHead(request.Method), ifNoneMatch.Count == 0 ? none : ifNoneMatch,
            prefer.Count == 0 ? none : prefer, sequence.Count == 0 ? none : sequence);
        return conditions.WithDeltaFields(headers.AcceptEncoding, headers[ClusterHeaders.AvailableDictionary]);
    }

    /// <summary>
    /// The 304 as a cached result: sets the status and writes nothing. <c>TypedResults.StatusCode</c> asks the request's
    /// services for a logger factory and creates a logger on every call, for an Information line the shipped log levels drop.
    /// </summary>
    private sealed class NotModifiedResult : IResult
    {
        public static readonly NotModifiedResult Instance = new();

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
    }
}
