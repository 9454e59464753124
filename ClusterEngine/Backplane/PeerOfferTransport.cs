using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Backplane;

/// <summary>
/// Offers over the backplane (<c>Offer</c>, patent Fig. 4, steps 460–490): the potential primary decides itself; no
/// answer within <c>Cluster:OfferTimeout</c> counts as a refusal, and the node is re-checked at once. The timeout includes
/// waiting for this node's connection to the potential primary while it is still being opened: a node just added is Up
/// in the view (heard over its own connection) before the connection back to it is open, and skipping it then took it out
/// of the round robin (a node added at run time got none of the next nine clients, once in CI).
/// </summary>
/// <param name="mesh">The peer connections.</param>
/// <param name="detector">Whether the node is already known to be Down (then it is not re-checked).</param>
/// <param name="guard">Checks the assignment an accepting node answers with, like any other a peer sends.</param>
/// <param name="options">The offer timeout.</param>
/// <param name="logger">Logger.</param>
public sealed partial class PeerOfferTransport(PeerMesh mesh, FailureDetector detector, PeerGuard guard, IOptions<ClusterOptions> options, ILogger<PeerOfferTransport> logger)
    : IOfferTransport
{
    /// <inheritdoc />
    public async Task<OfferReply?> OfferAsync(string nodeId, OfferRequest offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var (reply, error) = await mesh.InvokeWhenConnectedAsync<OfferReply>(nodeId, BackplaneMethods.Offer, offer, options.Value.OfferTimeout, cancellationToken);
        if (error is not null)
        {
            LogOfferFailed(nodeId, offer.ClientId, error.Message);
            if (detector.StateOf(nodeId) != NodeState.Down)
            {
                _ = mesh.ProbeAsync(nodeId);
            }
        }

        return reply is { Assignment: { } delta } && !guard.IsAdmissible(delta) ? reply with { Outcome = AdmissionOutcome.Refuse, Assignment = null } : reply;
    }

    [LoggerMessage(EventId = LogEvents.OfferFailed, Level = LogLevel.Warning, Message = "Offer of {ClientId} to {PeerId} failed: {Reason}")]
    private partial void LogOfferFailed(string peerId, string clientId, string reason);
}
