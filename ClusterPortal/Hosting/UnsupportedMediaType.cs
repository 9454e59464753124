namespace ClusterPortal.Hosting;

/// <summary>
/// The problem body of a 415: a body sent with a Content-Type the endpoint does not read (routing's media-type check, or
/// the JSON binding of an endpoint with a body). Both used to answer without saying what to send — one with the title
/// "Bad request" — so an operator's script could not tell the header from the body; now the detail and
/// <c>errors["Content-Type"]</c> name the header, the type sent and the type expected, as other bad fields are named.
/// </summary>
internal static class UnsupportedMediaType
{
    /// <summary>Fills title, detail and <c>errors</c> of a 415 that has no detail yet (a <c>CustomizeProblemDetails</c> step).</summary>
    public static void AddDetail(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status != StatusCodes.Status415UnsupportedMediaType || context.ProblemDetails.Detail is not null)
        {
            return;
        }

        var sent = context.HttpContext.Request.ContentType;
        var message = string.IsNullOrEmpty(sent)
            ? "The body must be sent with Content-Type: application/json."
            : $"The body must be sent with Content-Type: application/json, not '{Shorten(sent)}'.";
        context.ProblemDetails.Title = "Unsupported Media Type";
        context.ProblemDetails.Detail = message;
        context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { ["Content-Type"] = [message] };
    }

    /// <summary>At most 100 characters of what the request sent (it is echoed back).</summary>
    private static string Shorten(string value) => value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "…");
}
