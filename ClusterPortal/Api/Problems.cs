using Microsoft.AspNetCore.Http.HttpResults;

namespace ClusterPortal.Api;

/// <summary>Problem-details answers shared by the APIs (RFC 9457).</summary>
internal static class Problems
{
    public static ValidationProblem Field(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: $"Invalid {field}");

    /// <summary>415 naming the Content-Type sent and the one to send (<see cref="Hosting.UnsupportedMediaType"/>), in <c>errors["Content-Type"]</c> too.</summary>
    public static ProblemHttpResult UnsupportedMediaType(HttpContext http)
    {
        var message = Hosting.UnsupportedMediaType.Message(http);
        return TypedResults.Problem(message, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported Media Type",
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["Content-Type"] = [message] } });
    }

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    /// <summary>401 with the <c>WWW-Authenticate</c> challenge every 401 carries (RFC 9110 §11.6.1; <see cref="Security.AuthAnswers"/>).</summary>
    public static ProblemHttpResult Unauthorized(HttpContext http, string challenge, string detail)
    {
        http.Response.Headers.Append(Microsoft.Net.Http.Headers.HeaderNames.WWWAuthenticate, challenge);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
    }

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    /// <summary>503 with <c>Retry-After</c> (seconds): cluster full, or a node that cannot serve.</summary>
    public static ProblemHttpResult Unavailable(HttpContext http, string detail, int retryAfterSeconds = 5)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable");
    }

    /// <summary>
    /// 503 of a node an operator removed from the cluster (docs/recovery.md "Removal and re-add"): it serves, places and
    /// tells nobody anything from its last view, which the others have moved on from; <c>X-Served-By</c> and
    /// <c>X-Node-Removed</c> name it, so a device asks another node (the SDK does).
    /// </summary>
    public static ProblemHttpResult Removed(HttpContext http, string nodeId, string detail)
    {
        http.Response.Headers[Client.Contract.ClusterHeaders.ServedBy] = nodeId;
        http.Response.Headers[Client.Contract.ClusterHeaders.NodeRemoved] = nodeId;
        return Unavailable(http, detail, 1);
    }
}
