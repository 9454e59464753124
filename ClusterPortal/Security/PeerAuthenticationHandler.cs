using System.Security.Claims;
using System.Text.Encodings.Web;
using ClusterEngine.Backplane;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>Authenticates a peer node on the backplane by its id and credential headers (constant-time check).</summary>
internal sealed class PeerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, PeerCredentials credentials)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? nodeId = Request.Headers[PeerCredentials.NodeHeader];
        string? credential = Request.Headers[PeerCredentials.AuthHeader];
        if (nodeId is null && credential is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!credentials.Verify(nodeId, credential))
        {
            return Task.FromResult(AuthenticateResult.Fail("Not a peer of this cluster."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, nodeId!), new Claim(ClaimTypes.Role, "peer")], AuthSchemes.Peer);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AuthSchemes.Peer)));
    }
}
