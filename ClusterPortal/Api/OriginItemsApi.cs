using System.Text.Json.Serialization;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using ClusterPortal.Security;

namespace ClusterPortal.Api;

/// <summary>
/// <c>PUT|DELETE /api/items/{**key}</c>: an operator publishes or withdraws an item at the file-system origin
/// (docs/architecture.md §6; admin key). The local origin cache is invalidated and <see cref="IItemChangeNotifier"/> is told,
/// so the backplane can broadcast <c>ItemChanged</c>.
/// </summary>
internal static partial class OriginItemsApi
{
    public static RouteGroupBuilder MapOriginItemsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/items").WithTags("Items").RequireAuthorization(AuthSchemes.AdminPolicy);
        group.ProducesProblems(ErrorResponses.Admin, StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        group.MapPut("/{**key}", Put).WithName("PutItem").ProducesProblems(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Creates (201) or replaces (200) an item at the file-system origin with the request body; answers {key, etag, size}.");
        group.MapDelete("/{**key}", Delete).WithName("DeleteItem").ProducesProblems(StatusCodes.Status404NotFound)
            .WithSummary("Deletes an item at the file-system origin: 204, or 404 when there is none.");
        return group;
    }

    internal static async Task<IResult> Put(HttpContext http, string key, IItemOrigin origin, OriginCache cache,
        IItemChangeNotifier notifier, ILoggerFactory loggers, ClusterEngine.Deltas.ItemVersionStore versions)
    {
        if (Check(http, key, origin) is { } problem)
        {
            return problem;
        }

        var writable = (IWritableItemOrigin)origin;
        var itemKey = ItemKey.Parse(key);
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        try
        {
            var existed = await writable.GetAsync(itemKey, null, http.RequestAborted) is not null;
            var item = await writable.PutAsync(itemKey, body.GetBuffer().AsMemory(0, (int)body.Length), http.RequestAborted);
            Changed(cache, notifier, versions, itemKey, item);
            var logger = loggers.CreateLogger(typeof(OriginItemsApi));
            ItemWritten(logger, item.Key.Value, item.Length, item.ETag);
            var answer = new ItemWrittenResponse(item.Key.Value, item.ETag, item.Length);
            return existed ? TypedResults.Ok(answer) : TypedResults.Created($"/api/items/{item.Key.ToUrlPath()}", answer); // escaped per segment: a Location is ASCII
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return Refused(ex);
        }
    }

    internal static async Task<IResult> Delete(HttpContext http, string key, IItemOrigin origin, OriginCache cache,
        IItemChangeNotifier notifier, ILoggerFactory loggers, ClusterEngine.Deltas.ItemVersionStore versions)
    {
        if (Check(http, key, origin) is { } problem)
        {
            return problem;
        }

        var itemKey = ItemKey.Parse(key);
        try
        {
            if (!await ((IWritableItemOrigin)origin).DeleteAsync(itemKey, http.RequestAborted))
            {
                return Problems.NotFound($"No item '{key}'.");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Refused(ex);
        }

        Changed(cache, notifier, versions, itemKey, null);
        var logger = loggers.CreateLogger(typeof(OriginItemsApi));
        ItemDeleted(logger, itemKey.Value);
        return TypedResults.NoContent();
    }

    private static IResult? Check(HttpContext http, string key, IItemOrigin origin) =>
        ItemsApi.KeyProblem(http, key)
        ?? (origin is IWritableItemOrigin
            ? null
            : TypedResults.Problem("The origin is read-only (Origin:Kind is Http); change items at the origin itself.",
                statusCode: StatusCodes.Status409Conflict, title: "Origin is read-only"));

    private static void Changed(OriginCache cache, IItemChangeNotifier notifier, ClusterEngine.Deltas.ItemVersionStore versions, ItemKey key, OriginItem? item)
    {
        versions.KeepBeforeChange(cache, key, null);
        notifier.ItemChanged(key, item);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refused(Exception ex) =>
        TypedResults.Problem($"The origin refused the change: {ex.Message}", statusCode: StatusCodes.Status409Conflict, title: "Origin refused the change");

    [LoggerMessage(EventId = LogEvents.ItemWritten, Level = LogLevel.Information, Message = "Operator wrote item {Key}: {SizeBytes} bytes, ETag {ETag}")]
    private static partial void ItemWritten(ILogger logger, string key, long sizeBytes, string eTag);

    [LoggerMessage(EventId = LogEvents.ItemDeleted, Level = LogLevel.Information, Message = "Operator deleted item {Key}")]
    private static partial void ItemDeleted(ILogger logger, string key);
}

/// <summary>Answer of <c>PUT /api/items/{key}</c>.</summary>
/// <param name="Key">The item key.</param>
/// <param name="ETag">The item's strong ETag (CRC-64 validator, docs/architecture.md §8).</param>
/// <param name="Size">The item's size in bytes.</param>
public sealed record ItemWrittenResponse(string Key, [property: JsonPropertyName("etag")] string ETag, long Size);
