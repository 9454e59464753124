using Microsoft.AspNetCore.Authentication;

namespace ClusterPortal.Security;

/// <summary>
/// The default scheme (<see cref="AuthSchemes.Default"/>): picks the scheme by what the request carries — a client token
/// (<c>Authorization</c>), the admin key (<c>X-Admin-Key</c>), the admin login cookie — as ASP.NET Core's policy scheme
/// would, and forwards challenge and forbid to that scheme. A client token, the credential of every item request, is
/// checked here directly (<see cref="ClientTokenAuthenticationHandler.Authenticate"/>) rather than through a second
/// scheme: the policy scheme's forward cost two handler objects, their options, loggers and event objects, and a second
/// authentication pass per request (README "Where the microseconds go": about half of the bytes allocated per 304).
/// </summary>
internal sealed class PortalAuthenticationHandler(ClientTokenService tokens) : IAuthenticationHandler
{
    private HttpContext _http = null!;
    private Task<AuthenticateResult>? _client;

    /// <summary>The scheme a request's credentials belong to.</summary>
    public static string SchemeFor(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 ? AuthSchemes.ClientToken
        : request.Headers.ContainsKey(AuthSchemes.AdminKeyHeader) ? AuthSchemes.AdminKey
        : request.Cookies.ContainsKey(AuthSchemes.AdminCookieName) ? AuthSchemes.AdminCookie
        : AuthSchemes.ClientToken;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _http = context;
        return Task.CompletedTask;
    }

    public Task<AuthenticateResult> AuthenticateAsync()
    {
        var scheme = SchemeFor(_http.Request);
        return scheme == AuthSchemes.ClientToken
            ? _client ??= Task.FromResult(ClientTokenAuthenticationHandler.Authenticate(_http.Request, tokens))
            : _http.AuthenticateAsync(scheme);
    }

    public Task ChallengeAsync(AuthenticationProperties? properties) => _http.ChallengeAsync(SchemeFor(_http.Request), properties);

    public Task ForbidAsync(AuthenticationProperties? properties) => _http.ForbidAsync(SchemeFor(_http.Request), properties);
}
