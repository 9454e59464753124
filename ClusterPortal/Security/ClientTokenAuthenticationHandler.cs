using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>Authenticates <c>Authorization: Bearer {token}</c> with <see cref="ClientTokenService"/>.</summary>
internal sealed class ClientTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ClientTokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(Authenticate(Request, tokens));

    /// <summary>
    /// The request's bearer token as a principal with the <see cref="AuthSchemes.ClientIdClaim"/> it is bound to; no result
    /// without a bearer token, a failure for one that is invalid or expired. Shared with <see cref="PortalAuthenticationHandler"/>.
    /// </summary>
    internal static AuthenticateResult Authenticate(HttpRequest request, ClientTokenService tokens)
    {
        // One credential per request (RFC 9110 §11.6.2: Authorization is not a list). Several field lines — even one of
        // them empty — fail: read as a string they would be joined without the empty ones and could validate here, while
        // the same request forwarded to the primary arrives as one field "Bearer t, " that does not (a 200 here, a 401
        // through a peer, found by attacking the gate). ClientTokenGate refuses them too (it admits exactly one field).
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 1)
        {
            return AuthenticateResult.Fail("The request has several Authorization fields.");
        }

        if (!TryBearerToken(authorization.Count == 1 ? authorization[0] : null, out var token))
        {
            return AuthenticateResult.NoResult();
        }

        return tokens.Validate(token) is { } clientId
            ? AuthenticateResult.Success(new AuthenticationTicket(Principal(clientId), AuthSchemes.ClientToken))
            : AuthenticateResult.Fail("The bearer token is invalid or expired.");
    }

    /// <summary>The token of an <c>Authorization: Bearer {token}</c> value (scheme name in any case, spaces trimmed).</summary>
    /// <param name="authorization">One <c>Authorization</c> field's value.</param>
    /// <param name="token">The token; empty when the value is not a bearer credential.</param>
    /// <returns>Whether the value is a bearer credential.</returns>
    internal static bool TryBearerToken(string? authorization, out ReadOnlySpan<char> token)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = default;
            return false;
        }

        token = authorization.AsSpan("Bearer ".Length).Trim();
        return true;
    }

    /// <summary>The principal of a client's request: the <see cref="AuthSchemes.ClientIdClaim"/> its token is bound to.</summary>
    internal static ClaimsPrincipal Principal(string clientId) =>
        new(new ClaimsIdentity([new Claim(AuthSchemes.ClientIdClaim, clientId)], AuthSchemes.ClientToken));
}
