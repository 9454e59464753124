using ClusterEngine.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Backplane;

/// <summary>
/// Claims over the backplane (<c>Claim</c>, <c>ClaimRelease</c>; docs/identity.md): one call with the offer's deadline
/// (<c>Cluster:OfferTimeout</c>); no answer in time counts as an unreachable owner. The deadline includes waiting for this
/// node's connection to the owner when it is still being opened: the owner is Up in this view (heard over its own
/// connection to this node) a moment before this node's connection back to it is open, right after it joined or
/// restarted, and a claim must not fail over to a node that cannot grant it (the announce would answer 503). An
/// assignment in the answer is checked like any other a peer sends (<see cref="PeerGuard.IsAdmissible"/>).
/// </summary>
/// <param name="mesh">The peer connections.</param>
/// <param name="guard">Checks the assignment an owner answers with.</param>
/// <param name="options">The deadline.</param>
/// <param name="logger">Logger.</param>
public sealed partial class PeerClaimTransport(PeerMesh mesh, PeerGuard guard, IOptions<ClusterOptions> options, ILogger<PeerClaimTransport> logger)
    : IClaimTransport
{
    /// <inheritdoc />
    public async Task<ClaimReply?> ClaimAsync(string nodeId, ClaimRequest claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var (reply, error) = await mesh.InvokeWhenConnectedAsync<ClaimReply>(nodeId, BackplaneMethods.Claim, claim, options.Value.OfferTimeout, cancellationToken);
        if (error is not null)
        {
            LogClaimFailed(nodeId, claim.ClientId, error.Message);
        }

        return reply is { Assignment: { } delta } && !guard.IsAdmissible(delta) ? reply with { Assignment = null } : reply;
    }

    /// <inheritdoc />
    public void Release(string nodeId, ClaimRequest claim) => _ = mesh.SendAsync(nodeId, BackplaneMethods.ClaimRelease, claim);

    [LoggerMessage(EventId = LogEvents.ClaimFailed, Level = LogLevel.Debug, Message = "Claim of {ClientId} at {PeerId} failed: {Reason}")]
    private partial void LogClaimFailed(string peerId, string clientId, string reason);
}
