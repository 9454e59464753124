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
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var clientId = tokens.Validate(header.AsSpan("Bearer ".Length).Trim());
        if (clientId is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("The bearer token is invalid or expired."));
        }

        var identity = new ClaimsIdentity([new Claim(AuthSchemes.ClientIdClaim, clientId)], AuthSchemes.ClientToken);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AuthSchemes.ClientToken)));
    }
}
