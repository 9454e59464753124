using Microsoft.AspNetCore.Authorization;

namespace ClusterPortal.Security;

/// <summary>
/// Endpoint metadata: the endpoint requires <see cref="AuthSchemes.ClientPolicy"/> only, so <see cref="ClientTokenGate"/> may
/// admit a request to it whose bearer token is bound to the route's <c>{clientId}</c>. Added by
/// <see cref="ClientAccessEndpoints.RequireClientAccess{TBuilder}"/>.
/// </summary>
internal sealed class ClientTokenEndpoint
{
    /// <summary>The one instance (the metadata carries no data).</summary>
    public static readonly ClientTokenEndpoint Instance = new();

    private ClientTokenEndpoint()
    {
    }
}

/// <summary>Maps client endpoints: <see cref="AuthSchemes.ClientPolicy"/> plus the <see cref="ClientTokenEndpoint"/> mark.</summary>
internal static class ClientAccessEndpoints
{
    /// <summary>
    /// The client itself (a bearer token bound to the route's <c>{clientId}</c>) or an admin on GET
    /// (<see cref="ClientAccessHandler"/>); the client's own requests take <see cref="ClientTokenGate"/>'s short path.
    /// </summary>
    /// <typeparam name="TBuilder">An endpoint or group builder.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder RequireClientAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(AuthSchemes.ClientPolicy).WithMetadata(ClientTokenEndpoint.Instance);
}

/// <summary>
/// The short path of a client's own request (README "Where the microseconds go"): a request to a
/// <see cref="ClientTokenEndpoint"/> whose only credential is a bearer token that <see cref="ClientTokenService"/>
/// validates and that is bound to the route's <c>{clientId}</c> is exactly the request the framework's authentication,
/// rate limiter and authorization would let through (<see cref="PortalAuthenticationHandler"/> picks the token by the
/// <c>Authorization</c> header; <see cref="ClientAccessHandler"/> grants a token bound to the route's client; client
/// endpoints carry no rate-limit policy). Such a request skips them: they cost most of the bytes a 304 allocated (a
/// request service scope, the authentication service and handler, ticket, properties, a claims-transformation set,
/// the authorization context, handler list and their tasks). Every other request — no token, a forged, expired or
/// another client's token, the admin key or cookie, several <c>Authorization</c> fields — takes the framework's path
/// unchanged, with its 401/403 answers.
/// </summary>
/// <param name="tokens">Validates bearer tokens.</param>
internal sealed class ClientTokenGate(ClientTokenService tokens)
{
    /// <summary>The item <c>EndpointMiddleware</c> looks for to know that authorization ran for an endpoint with authorization metadata.</summary>
    internal const string AuthorizationRanKey = "__AuthorizationMiddlewareWithEndpointInvoked";

    private static readonly object Ran = new();

    /// <summary>
    /// Whether the request is a client's own request to a client endpoint (see the type); if so, its
    /// <see cref="HttpContext.User"/> is the token's principal and authorization is recorded as done.
    /// </summary>
    /// <param name="http">The request, after routing.</param>
    /// <returns>True when the framework's checks may be skipped.</returns>
    public bool Admits(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<ClientTokenEndpoint>() is null || !OnlyClientPolicy(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>()))
        {
            return false;
        }

        var authorization = http.Request.Headers.Authorization;
        if (authorization.Count != 1 || !ClientTokenAuthenticationHandler.TryBearerToken(authorization[0], out var token)
            || tokens.Validate(token) is not { } clientId
            || !string.Equals(clientId, http.GetRouteValue("clientId") as string, StringComparison.Ordinal))
        {
            return false;
        }

        http.User = ClientTokenAuthenticationHandler.Principal(clientId);
        http.Items[AuthorizationRanKey] = Ran;
        return true;
    }

    private static bool OnlyClientPolicy(IReadOnlyList<IAuthorizeData> rules)
    {
        foreach (var rule in rules)
        {
            if (rule.Policy != AuthSchemes.ClientPolicy || rule.Roles is not null || rule.AuthenticationSchemes is not null)
            {
                return false;
            }
        }

        return rules.Count > 0;
    }
}

/// <summary>Puts the framework's credential checks behind <see cref="ClientTokenGate"/>.</summary>
internal static class ClientTokenGateMiddleware
{
    // The keys WebApplication reads to decide whether the app added authentication/authorization itself; a branch built
    // with New() sets them on its own copy of the properties, so without these the host would add a second
    // UseAuthentication in front of the whole pipeline.
    private const string AuthenticationSetKey = "__AuthenticationMiddlewareSet";
    private const string AuthorizationSetKey = "__AuthorizationMiddlewareSet";

    /// <summary>
    /// Authentication, the rate limiter and authorization, run for every request that <see cref="ClientTokenGate.Admits"/>
    /// does not admit.
    /// </summary>
    /// <param name="app">The pipeline, after routing.</param>
    /// <returns><paramref name="app"/>.</returns>
    public static IApplicationBuilder UseCredentialChecks(this IApplicationBuilder app)
    {
        var checks = app.New();
        checks.UseAuthentication();
        checks.UseRateLimiter();
        checks.UseAuthorization();
        app.Properties[AuthenticationSetKey] = true;
        app.Properties[AuthorizationSetKey] = true;
        var gate = app.ApplicationServices.GetRequiredService<ClientTokenGate>();
        return app.Use(next =>
        {
            checks.Run(next);
            var checkThenNext = checks.Build();
            return http => gate.Admits(http) ? next(http) : checkThenNext(http);
        });
    }
}
