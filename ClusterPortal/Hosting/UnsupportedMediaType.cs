using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;

namespace ClusterPortal.Hosting;

/// <summary>
/// The problem body of a 415: a body sent with a Content-Type the endpoint does not read (routing's media-type check, the
/// JSON binding of an endpoint with a body, a form endpoint, the announce). These used to answer without saying what to
/// send — one with the title "Bad request", the announce with a 400 about the body —, so a script could not tell the
/// header from the body; now the detail and <c>errors["Content-Type"]</c> name the header, the type sent and the types
/// the endpoint reads (from its <see cref="IAcceptsMetadata"/>; <c>application/json</c> when routing refused the request
/// before an endpoint was chosen), as other bad fields are named.
/// </summary>
internal static class UnsupportedMediaType
{
    /// <summary>
    /// True for the exception .NET's request JSON reading throws when the request's Content-Type is not JSON or names a
    /// charset it cannot decode (<c>HttpRequestJsonExtensions.ReadFromJsonAsync</c>: an <see cref="InvalidOperationException"/>).
    /// </summary>
    public static bool IsUnreadableBody(Exception exception) =>
        exception is InvalidOperationException { Message: var m } && m.StartsWith("Unable to read the request as JSON because the request content type", StringComparison.Ordinal);

    /// <summary>The types a form endpoint reads.</summary>
    public const string FormTypes = "application/x-www-form-urlencoded or multipart/form-data";

    /// <summary>Fills title, detail and <c>errors</c> of a 415 that has no detail yet (a <c>CustomizeProblemDetails</c> step).</summary>
    /// <remarks>
    /// Routing refuses a body its candidate endpoints do not read before choosing one, so no endpoint names its types
    /// then: the dashboard's account forms (<c>/account/…</c>) read forms, every other endpoint with a body JSON.
    /// </remarks>
    public static void AddDetail(ProblemDetailsContext context) =>
        AddDetail(context, context.HttpContext.Request.Path.StartsWithSegments(Security.AdminLoginApi.GroupPath, StringComparison.OrdinalIgnoreCase) ? FormTypes : null);

    /// <summary>As <see cref="AddDetail(ProblemDetailsContext)"/>, with the types to name when the endpoint does not say (<paramref name="accepted"/>).</summary>
    public static void AddDetail(ProblemDetailsContext context, string? accepted)
    {
        if (context.ProblemDetails.Status != StatusCodes.Status415UnsupportedMediaType || context.ProblemDetails.Detail is not null)
        {
            return;
        }

        var message = Message(context.HttpContext, accepted);
        context.ProblemDetails.Title = "Unsupported Media Type";
        context.ProblemDetails.Detail = message;
        context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { ["Content-Type"] = [message] };
    }

    /// <summary>What to send instead of what was sent, e.g. <c>The body must be sent with Content-Type: application/json, not 'text/plain'.</c></summary>
    /// <param name="http">The request.</param>
    /// <param name="fallback">The types to name when the endpoint's metadata does not say; <c>application/json</c> when null.</param>
    public static string Message(HttpContext http, string? fallback = null)
    {
        // The exception handler clears the endpoint before handlers run; the feature keeps the one that failed.
        var endpoint = http.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? http.GetEndpoint();
        var accepted = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes is { Count: > 0 } types ? string.Join(" or ", types)
            : fallback ?? "application/json";
        var sent = http.Request.ContentType;
        return string.IsNullOrEmpty(sent)
            ? $"The body must be sent with Content-Type: {accepted}."
            : $"The body must be sent with Content-Type: {accepted}, not '{Shorten(sent)}'.";
    }

    /// <summary>At most 100 characters of what the request sent (it is echoed back).</summary>
    private static string Shorten(string value) => value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "…");
}
