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
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var clientId = tokens.Validate(header.AsSpan("Bearer ".Length).Trim());
        if (clientId is null)
        {
            return AuthenticateResult.Fail("The bearer token is invalid or expired.");
        }

        var identity = new ClaimsIdentity([new Claim(AuthSchemes.ClientIdClaim, clientId)], AuthSchemes.ClientToken);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AuthSchemes.ClientToken));
    }
}
