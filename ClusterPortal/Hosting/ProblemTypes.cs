namespace ClusterPortal.Hosting;

/// <summary>
/// The <c>type</c> of a problem-details body (RFC 9457 §3.1.1) for the statuses ASP.NET Core leaves without one. Its own
/// defaults name the RFC 9110 section of 400, 401, 403, 404, 405, 406, 408, 409, 412, 415, 422, 426, 500, 502, 503 and
/// 504; the node also answers 413 (a body over its limit) and 429 (Portal:SessionRateLimit, the admin-login throttle),
/// which came without a <c>type</c> and so read as <c>about:blank</c> to a client that branches on it.
/// </summary>
internal static class ProblemTypes
{
    /// <summary>RFC 9110 §15.5.14, 413 Content Too Large.</summary>
    public const string ContentTooLarge = "https://tools.ietf.org/html/rfc9110#section-15.5.14";

    /// <summary>RFC 6585 §4, 429 Too Many Requests.</summary>
    public const string TooManyRequests = "https://tools.ietf.org/html/rfc6585#section-4";

    /// <summary>Problem-details customisation: a 413 or 429 body without a <c>type</c> gets the one of its RFC.</summary>
    public static void AddType(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Type ??= (problem.Status ?? context.HttpContext.Response.StatusCode) switch
        {
            StatusCodes.Status413PayloadTooLarge => ContentTooLarge,
            StatusCodes.Status429TooManyRequests => TooManyRequests,
            _ => null,
        };
    }
}
