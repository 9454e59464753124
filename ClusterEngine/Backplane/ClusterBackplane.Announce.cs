using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane
{
    /// <summary>
    /// A client announces itself at this node (patent Fig. 3/4, steps 310–490): an assigned client gets
    /// its assignment; a new one is offered by round robin to the potential primary, which accepts or
    /// bounces it itself; an unreachable or refusing node is skipped for the lowest-ratio node not yet
    /// offered; with none left the cluster is full.
    /// </summary>
    public async Task<AnnounceResult> AnnounceAsync(string clientId, CancellationToken cancellationToken)
    {
        if (State.GetAssignment(clientId) is { } existing)
        {
            return new AnnounceResult(PlacementOutcome.Existing, existing, null, []);
        }

        var offered = new List<string>();
        var bounces = 0;
        var candidate = State.NextPotentialPrimary();
        while (candidate is not null && !offered.Contains(candidate))
        {
            offered.Add(candidate);
            var reply = candidate == Self
                ? OnOffer(new OfferRequest(clientId, bounces, offered))
                : await OfferToPeerAsync(candidate, new OfferRequest(clientId, bounces, offered), cancellationToken);
            switch (reply?.Outcome)
            {
                case AdmissionOutcome.Accept when reply.Assignment is { } delta:
                    if (candidate != Self)
                    {
                        _node.Publish(State.Apply([delta]), local: false);
                    }

                    var assignment = State.GetAssignment(clientId)!;
                    return new AnnounceResult(PlacementOutcome.Placed, assignment, delta, offered);
                case AdmissionOutcome.Bounce when reply.BounceTo is not null && !offered.Contains(reply.BounceTo):
                    candidate = reply.BounceTo;
                    bounces++;
                    break;
                default:
                    candidate = State.LowestRatioNode(offered);
                    break;
            }
        }

        return State.GetAssignment(clientId) is { } raced
            ? new AnnounceResult(PlacementOutcome.Existing, raced, null, offered)
            : new AnnounceResult(PlacementOutcome.ClusterFull, null, null, offered);
    }

    private async Task<OfferReply?> OfferToPeerAsync(string nodeId, OfferRequest offer, CancellationToken cancellationToken)
    {
        var (reply, error) = await InvokePeerAsync<OfferReply>(nodeId, BackplaneMethods.Offer, offer, _options.OfferTimeout, cancellationToken);
        if (error is not null)
        {
            LogOfferFailed(nodeId, offer.ClientId, error.Message);
            if (_detector.StateOf(nodeId) != NodeState.Down)
            {
                _ = ProbeAsync(nodeId);
            }
        }

        return reply;
    }

    /// <summary>
    /// What a call to a peer throws when the peer or the connection fails (not a bug here): a hub error, a
    /// broken socket or WebSocket (<see cref="System.Net.WebSockets.WebSocketException"/> is not an
    /// <see cref="IOException"/>: a peer dying mid-call threw it out of a graceful leave), a closed
    /// connection, a timeout.
    /// </summary>
    internal static bool IsConnectionFailure(Exception ex) =>
        ex is HubException or IOException or System.Net.WebSockets.WebSocketException or System.Net.Http.HttpRequestException
            or InvalidOperationException or OperationCanceledException or TimeoutException;

    /// <summary>
    /// One request/response call to a connected peer's hub, given up after <paramref name="timeout"/>.
    /// Returns the reply, or null with the error when the call failed or timed out; (null, null) when
    /// the peer is not connected. Throws only when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    private async Task<(T? Reply, Exception? Error)> InvokePeerAsync<T>(string nodeId, string method, object arg, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        if (!_peers.TryGetValue(nodeId, out var peer) || !peer.IsConnected)
        {
            return (null, null);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return (await peer.Hub.InvokeAsync<T>(method, arg, deadline.Token), null);
        }
        catch (Exception ex) when (IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            return (null, ex);
        }
    }
}
