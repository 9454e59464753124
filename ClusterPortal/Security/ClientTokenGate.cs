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
    /// The client itself (a bearer token bound to the route's <c>{clientId}</c>) or an admin on GET or HEAD
    /// (<see cref="ClientAccessHandler"/>); the client's own requests take <see cref="ClientTokenGate"/>'s short path.
    /// </summary>
    /// <typeparam name="TBuilder">An endpoint or group builder.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder RequireClientAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(AuthSchemes.ClientPolicy).WithMetadata(ClientTokenEndpoint.Instance);
}

/// <summary>
/// The short path past the framework's authentication and authorization (README "Where the microseconds go") for the two
/// kinds of request they would let through without adding anything:
/// <list type="bullet">
/// <item>a client's own request: to a <see cref="ClientTokenEndpoint"/>, whose only credential is one bearer token that
/// <see cref="ClientTokenService"/> validates and that is bound to the route's <c>{clientId}</c>
/// (<see cref="PortalAuthenticationHandler"/> picks the token by the <c>Authorization</c> header;
/// <see cref="ClientAccessHandler"/> grants a token bound to the route's client) — its <see cref="HttpContext.User"/>
/// becomes the token's principal;</item>
/// <item>a request that carries no credential at all (no <c>Authorization</c>, admin key or admin cookie) to an endpoint
/// that allows anonymous callers (an announce, the health checks) — authentication would find nothing and authorization
/// would not look.</item>
/// </list>
/// Authentication and authorization cost most of the work and of the bytes a 304 allocated (a request service scope, the
/// authentication service and handler, ticket, properties, a claims-transformation set, the authorization context,
/// handler list and their tasks). Every other request — a forged, expired or another client's token, one issued for an
/// earlier registration of the client id (<see cref="TokenCheck.Superseded"/>), the admin key or
/// cookie, several <c>Authorization</c> fields, a credential sent to an anonymous endpoint — takes the framework's path
/// unchanged, with its 401/403 answers.
/// </summary>
/// <param name="tokens">Validates bearer tokens.</param>
internal sealed class ClientTokenGate(ClientTokenService tokens)
{
    /// <summary>The item <c>EndpointMiddleware</c> looks for to know that authorization ran for an endpoint with authorization metadata.</summary>
    internal const string AuthorizationRanKey = "__AuthorizationMiddlewareWithEndpointInvoked";

    private static readonly object Ran = new();

    /// <summary>
    /// Whether the request may skip authentication and authorization (see the type); if so, authorization is recorded as
    /// done for the endpoint (<see cref="AuthorizationRanKey"/>).
    /// </summary>
    /// <param name="http">The request, after routing.</param>
    /// <returns>True when the framework's checks may be skipped.</returns>
    public bool Admits(HttpContext http)
    {
        var metadata = http.GetEndpoint()?.Metadata;
        if (metadata is null)
        {
            return false;
        }

        var admitted = metadata.GetMetadata<ClientTokenEndpoint>() is not null
            ? AdmitsClient(http, metadata)
            : metadata.GetMetadata<IAllowAnonymous>() is not null && CarriesNoCredential(http.Request);
        if (admitted)
        {
            // As the authorization middleware records for every endpoint it saw (an anonymous page may carry
            // authorization metadata too, which IAllowAnonymous overrides).
            http.Items[AuthorizationRanKey] = Ran;
        }

        return admitted;
    }

    private bool AdmitsClient(HttpContext http, EndpointMetadataCollection metadata)
    {
        if (!OnlyClientPolicy(metadata.GetOrderedMetadata<IAuthorizeData>()))
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
        return true;
    }

    private static bool CarriesNoCredential(HttpRequest request) =>
        request.Headers.Authorization.Count == 0 && !request.Headers.ContainsKey(AuthSchemes.AdminKeyHeader)
        && (request.Headers.Cookie.Count == 0 || !request.Cookies.ContainsKey(AuthSchemes.AdminCookieName)); // no cookie parsing without a Cookie field

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

/// <summary>Puts the framework's authentication and authorization behind <see cref="ClientTokenGate"/>.</summary>
internal static class ClientTokenGateMiddleware
{
    // The keys WebApplication reads to decide whether the app added authentication/authorization itself; a branch built
    // with New() sets them on its own copy of the properties, so without these the host would add a second
    // UseAuthentication in front of the whole pipeline.
    private const string AuthenticationSetKey = "__AuthenticationMiddlewareSet";
    private const string AuthorizationSetKey = "__AuthorizationMiddlewareSet";

    /// <summary>Authentication then authorization, run for every request that <see cref="ClientTokenGate.Admits"/> does not admit.</summary>
    /// <param name="app">The pipeline, after routing.</param>
    /// <returns><paramref name="app"/>.</returns>
    public static IApplicationBuilder UseCredentialChecks(this IApplicationBuilder app)
    {
        var checks = app.New();
        checks.UseAuthentication();
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
