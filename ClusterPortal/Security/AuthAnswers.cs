using Microsoft.Net.Http.Headers;

namespace ClusterPortal.Security;

/// <summary>
/// The 401 and 403 answers of the authentication schemes: the status, the <c>WWW-Authenticate</c> challenge a 401 must
/// carry (RFC 9110 §11.6.1; for bearer tokens RFC 6750 §3: <c>error="invalid_token"</c> when a token was sent and
/// refused) and a detail saying what was wrong, which the problem-details body written by the status-code pages picks up
/// (<see cref="AddDetail"/>). Before this a client saw a bare 401 and could not tell a missing token from an expired one.
/// </summary>
internal static class AuthAnswers
{
    /// <summary>The challenge of the client-token scheme.</summary>
    public const string Bearer = "Bearer realm=\"ClusterPortal\"";

    /// <summary>The challenge of the admin-key scheme (no registered scheme exists for a key in a header of its own).</summary>
    public const string AdminKey = "AdminKey realm=\"ClusterPortal\", header=\"" + AuthSchemes.AdminKeyHeader + "\"";

    private const string DetailKey = "ClusterPortal.AuthAnswerDetail";

    /// <summary>The bearer challenge for a token that was sent and refused (RFC 6750 §3.1).</summary>
    /// <param name="description">Why, in a few ASCII words without quotes or backslashes.</param>
    public static string InvalidBearer(string description) => $"{Bearer}, error=\"invalid_token\", error_description=\"{description}\"";

    /// <summary>Sets a 401 with <paramref name="challenge"/> and the detail of its problem body.</summary>
    public static void Unauthorized(HttpContext http, string challenge, string detail)
    {
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.Append(HeaderNames.WWWAuthenticate, challenge);
        http.Items[DetailKey] = detail;
    }

    /// <summary>Sets a 403 and the detail of its problem body.</summary>
    public static void Forbidden(HttpContext http, string detail)
    {
        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        http.Items[DetailKey] = detail;
    }

    /// <summary>Problem-details customisation: a 401/403 body without a detail gets the one its scheme set.</summary>
    public static void AddDetail(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Detail is null && context.HttpContext.Items.TryGetValue(DetailKey, out var detail) && detail is string text)
        {
            context.ProblemDetails.Detail = text;
        }
    }
}
