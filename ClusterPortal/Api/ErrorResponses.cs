namespace ClusterPortal.Api;

/// <summary>
/// The error answers of the endpoints, as OpenAPI metadata: each status with an RFC 9457 problem-details body
/// (<c>application/problem+json</c>), so that generated clients handle them, not only the successes.
/// </summary>
internal static class ErrorResponses
{
    /// <summary>The problem-details media type.</summary>
    public const string ProblemJson = "application/problem+json";

    /// <summary>Who may call: a viewer (<c>Portal:AnonymousView</c> or the admin key) — 401 without, 403 with a wrong one.</summary>
    public static readonly int[] Viewer = [StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden];

    /// <summary>The client's own token or the admin key: 401 without, 403 for another client's token.</summary>
    public static readonly int[] Client = [StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden];

    /// <summary>The admin key: 401 without or with a wrong one, 403 for a login without the admin role.</summary>
    public static readonly int[] Admin = [StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden];

    /// <summary>Declares problem-details answers with <paramref name="statuses"/>.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses.Distinct())
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), [ProblemJson]));
        }

        return builder;
    }

    /// <summary>Declares the answers of <paramref name="who"/> plus <paramref name="statuses"/>.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, int[] who, params int[] statuses) where TBuilder : IEndpointConventionBuilder =>
        builder.ProducesProblems([.. who, .. statuses]);
}
