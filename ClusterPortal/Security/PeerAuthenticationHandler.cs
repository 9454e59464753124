using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using ClusterEngine;
using ClusterEngine.Backplane;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>
/// Authenticates a peer node on the backplane by its id and per-connection credential (<see cref="PeerCredentials"/>:
/// made for this node, within <c>Cluster:PeerClockSkew</c>, never seen before). What the peer may then call is the
/// <see cref="PeerGuard"/>'s decision (<see cref="Hubs.BackplaneAdmission"/>). A refusal is logged with its reason.
/// </summary>
internal sealed partial class PeerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, PeerCredentials credentials, ClusterState state)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Claim with the incarnation the credential was made for.</summary>
    public const string IncarnationClaim = "peer_incarnation";

    /// <summary>Claim present (value "1") on a join credential's connection: <c>Hello</c> only.</summary>
    public const string JoinOnlyClaim = "peer_join_only";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? nodeId = Request.Headers[PeerCredentials.NodeHeader];
        string? credential = Request.Headers[PeerCredentials.AuthHeader];
        if (nodeId is null && credential is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var check = credentials.Verify(nodeId, credential, state.LocalNodeId);
        if (!check.Valid)
        {
            LogRefused(Logger, nodeId ?? "(none)", Context.Connection.RemoteIpAddress?.ToString() ?? "local", check.Reason!);
            return Task.FromResult(AuthenticateResult.Fail($"Not a peer of this cluster: {check.Reason}."));
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, nodeId!),
            new(ClaimTypes.Role, "peer"),
            new(IncarnationClaim, check.Incarnation.ToString(CultureInfo.InvariantCulture)),
        };
        if (check.JoinOnly)
        {
            claims.Add(new Claim(JoinOnlyClaim, "1"));
        }

        var identity = new ClaimsIdentity(claims, AuthSchemes.Peer);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AuthSchemes.Peer)));
    }

    [LoggerMessage(EventId = LogEvents.PeerAuthenticationHandlerRefused, Level = LogLevel.Warning, Message = "Backplane connection as {NodeId} from {Remote} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string nodeId, string remote, string reason);
}
