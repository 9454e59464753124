using System.Globalization;
using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterEngine.Mirroring;
using ClusterEngine.Origin;
using ClusterPortal.Metrics;
using ClusterPortal.Security;
using Microsoft.Net.Http.Headers;

namespace ClusterPortal.Api;

/// <summary>
/// <c>GET|HEAD /api/clients/{clientId}/items/{**key}</c>: serve a data item or "use your cached copy"
/// (patent Fig. 9, steps 900–950; Fig. 10, steps 1000–1070; DESIGN.md §5, §8).
/// </summary>
internal static class ItemsApi
{
    public const string ServedByHeader = "X-Served-By";

    public static RouteHandlerBuilder MapItemsApi(this IEndpointRouteBuilder routes) =>
        routes.MapMethods("/api/clients/{clientId}/items/{**key}", [HttpMethods.Get, HttpMethods.Head], Serve)
            .RequireAuthorization(AuthSchemes.ClientPolicy).WithTags("Items").WithName("GetItem")
            .ProducesProblems(ErrorResponses.Client, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithSummary("An item: 200 with body and ETag, or 304 when the client's validator (If-None-Match) or, with Prefer: cache-mirror, the node's mirror says the client holds it.");

    internal static async Task<IResult> Serve(HttpContext http, string clientId, string key, ClusterNode node, ItemForwarder forwarder,
        ClusterBackplane backplane, OriginCache origin, MirrorStore mirror, PortalInstruments metrics, Jobs.MirrorSyncTrigger sync)
    {
        if (KeyProblem(http, key) is { } keyProblem)
        {
            metrics.Other();
            return keyProblem;
        }

        // Patent Fig. 6: answered here, or forwarded once to the serving node (failing over in the same request).
        var route = await ClientRouting.RouteAsync(http, clientId, node, forwarder, backplane);
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

        var result = Answer(http, clientId, item, mirror, metrics);

        // Mirror:SyncPolicy (DESIGN.md §8): EachTransaction waits here for the alternate's acknowledgement; the job
        // policies only mark the client (the job is enqueued off the response path).
        await sync.AfterTransactionAsync(clientId, http.RequestAborted);
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
        var raw = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
        var path = raw.Split('?', 2)[0];
        if (path.Contains("%2e", StringComparison.OrdinalIgnoreCase) || path.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            || path.Contains("%5c", StringComparison.OrdinalIgnoreCase) || path.Contains('\\', StringComparison.Ordinal))
        {
            return ItemKeyError.PercentEncoding;
        }

        return path.Split('/').Any(segment => segment is "." or "..") ? ItemKeyError.DotSegment : null;
    }

    /// <summary>Fig. 9/10: 304 when the client holds the current item (its validator, or the mirror on request); else 200 with the bytes.</summary>
    private static IResult Answer(HttpContext http, string clientId, OriginItem item, MirrorStore mirror, PortalInstruments metrics)
    {
        var conditions = ItemConditions.From(http.Request);
        var headers = http.Response.Headers;
        headers.ETag = item.ETag;
        headers.LastModified = item.LastModified.ToString("R", CultureInfo.InvariantCulture);
        headers.CacheControl = "no-cache";
        var key = item.Key.Value;
        bool notModified;
        ulong sequence;
        if (conditions.IfNoneMatchMatches(item.ETag) is { } matched)
        {
            // Fig. 10, steps 1030–1050: the client's CRC decides; what the request says always wins over the mirror.
            notModified = matched;
            sequence = mirror.Record(clientId, key, item.Validator, item.Length, conditions.EchoedSequence);
        }
        else if (conditions.NotModifiedSince(item.LastModified))
        {
            notModified = true;
            sequence = mirror.Record(clientId, key, item.Validator, item.Length, conditions.EchoedSequence);
        }
        else if (conditions.PreferMirror)
        {
            // Fig. 9, steps 920–950: the mirror decides, trusted only for the sequence the client echoed.
            headers["Preference-Applied"] = ItemConditions.MirrorPreference;
            var verdict = mirror.Decide(clientId, key, item.Validator, conditions.EchoedSequence);
            notModified = verdict.UseCachedCopy;
            sequence = notModified ? verdict.Sequence : mirror.Record(clientId, key, item.Validator, item.Length, conditions.EchoedSequence);
        }
        else
        {
            notModified = false;
            sequence = mirror.Record(clientId, key, item.Validator, item.Length, conditions.EchoedSequence);
        }

        if (conditions.UsesMirror)
        {
            headers[ItemConditions.SequenceHeader] = sequence.ToString("x16", CultureInfo.InvariantCulture);
        }

        if (notModified)
        {
            // RFC 9110 §15.4.5: with an ETag present, Last-Modified adds nothing for the client's cache
            // update and "SHOULD NOT" be sent on a 304; Date, ETag and Cache-Control stay as on the 200.
            headers.Remove(HeaderNames.LastModified);
            metrics.SentNotModified(item.Length);
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        metrics.SentFull(HttpMethods.IsHead(http.Request.Method) ? 0 : item.Length);
        return TypedResults.Bytes(item.Content, item.ContentType);
    }
}
