using ClusterEngine;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Affinity;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Api;

/// <summary>
/// Where a client call is answered (patent Fig. 6; docs/architecture.md §5, §7): here, or forwarded once to the
/// serving node, failing over in the same request when that node cannot be reached or answers that it was removed. Shared by every
/// endpoint that must run on the client's serving node (items, mirror, logoff).
/// </summary>
internal sealed class ClientRouter(ClusterNode node, ItemForwarder forwarder, ClusterHealthMonitor health, LocalNodeStatus self,
    PeerGoneSignal peerGone, AssignmentChangeSignal assignmentChanged, RestartGrace restartGrace, IOptions<ClusterOptions> options)
{
    private readonly Func<string, bool> _primaryMayReturn = restartGrace.Holds;

    /// <summary>The outcome: <see cref="Answer"/> null means "serve here"; otherwise it is the answer (forwarded, or a problem).</summary>
    public readonly record struct Outcome(IResult? Answer, bool Forwarded);

    public async Task<Outcome> RouteAsync(HttpContext http, string clientId)
    {
        // Whether the request came from a peer is decided once, here: TryForwardAsync marks the request itself as
        // forwarded, so asking again after a failed first attempt made every same-request failover answer 503
        // (found by the process failure tests: kill -9 of a primary while requests were forwarded to it).
        var cameFromPeer = forwarder.CameFromPeer(http.Request, clientId);

        // A node that is leaving (SIGTERM) serves its clients until it hands them over, and a peer whose view is a
        // moment behind may still forward them here after that: it is alive and can serve them, so it does, instead
        // of answering 503 (found by the process failure tests; the request cannot be forwarded a second time).
        var handingOver = cameFromPeer && self.IsHandingOver;

        // A node that may not decide (joining or catching up after a restart or a freeze, on a minority side, removed)
        // neither serves nor routes: a routing decision here would fail clients over on the strength of a view that
        // is not current (docs/recovery.md: never take a client back on stored state). The device tries another node.
        if (!self.CanServe && !handingOver)
        {
            if (self.Removed)
            {
                return new(Problems.Removed(http, node.NodeId, "This node was removed from the cluster."), false);
            }

            http.Response.Headers[ClusterHeaders.ServedBy] = node.NodeId;
            return new(Problems.Unavailable(http, "This node is catching up with the cluster.", 1), false);
        }

        for (var attempt = 0; ; attempt++)
        {
            var decision = node.Route(clientId, _primaryMayReturn);
            if (decision.Kind == AffinityKind.NotAssigned && attempt == 0 && await AssignmentArrivesAsync(clientId, http.RequestAborted))
            {
                decision = node.Route(clientId, _primaryMayReturn);
            }

            // Every answer this node decides names it (X-Served-By, docs/architecture.md §5), problems included.
            if (decision.Kind == AffinityKind.NotAssigned)
            {
                return Decided(http, Problems.NotFound($"Client '{clientId}' is not known; announce it with POST /api/sessions."));
            }

            if (decision.Kind == AffinityKind.PrimaryRestarting)
            {
                return Decided(http, Problems.Unavailable(http, $"The primary of client '{clientId}' ({decision.Assignment?.Primary}) may be restarting with the cluster; try again in a moment.", 1));
            }

            if (decision.Kind == AffinityKind.PrimaryJoining)
            {
                return Decided(http, Problems.Unavailable(http, $"The primary of client '{clientId}' ({decision.Assignment?.Primary}) is catching up with the cluster; try again in a moment.", 1));
            }

            if (decision.ServingNodeId is not { } serving)
            {
                return Decided(http, Problems.Unavailable(http, "No node can serve this client now."));
            }

            // A peer forwarded this request because its view names this node; while a failover or a leave
            // spreads, this node's view may name another. If it holds a role for the client (primary or
            // alternate) it serves rather than answering 503: the mirror's sequence check keeps 304s safe.
            var holdsRole = cameFromPeer && (decision.Assignment?.Primary == node.NodeId || decision.Assignment?.Alternate == node.NodeId);
            if (serving == node.NodeId || handingOver || holdsRole)
            {
                break;
            }

            if (cameFromPeer || attempt == 2)
            {
                http.Response.Headers[ClusterHeaders.ServedBy] = node.NodeId;
                return new(Problems.Unavailable(http, $"This node is not the serving node ({serving}) of client '{clientId}'.", 1), false);
            }

            var forwarded = await forwarder.TryForwardAsync(http, serving, clientId);
            switch (forwarded)
            {
                case ItemForwarder.Outcome.PeerUnreachable:
                    await health.ReportUnreachableAsync(serving);
                    continue;
                case ItemForwarder.Outcome.PeerRemoved when await RemovalArrivesAsync(serving, http.RequestAborted):
                    continue; // this view has it now: Fig. 6, steps 660-680 name the alternate
                case ItemForwarder.Outcome.PeerRemoved:
                    return Decided(http, Problems.Unavailable(http, $"The serving node ({serving}) of client '{clientId}' is being removed from the cluster; try again in a moment.", 1));
                default:
                    return new(Results.Empty, true); // answered, or the client is gone (no evidence against the peer)
            }
        }

        http.Response.Headers[ClusterHeaders.ServedBy] = node.NodeId;
        if (!self.CanServe && !handingOver)
        {
            return new(Problems.Unavailable(http, "This node is catching up with the cluster.", 1), false);
        }

        return new(null, false);
    }

    private Outcome Decided(HttpContext http, IResult problem)
    {
        http.Response.Headers[ClusterHeaders.ServedBy] = node.NodeId;
        return new(problem, false);
    }

    /// <summary>
    /// The serving node answered that an operator removed it: it was told first and serves nobody, and the removal reaches
    /// this node's view a moment later (the authority applies and spreads it once the removed node has answered; the removed
    /// node's own <c>Left</c> status follows within a heartbeat). Waits for this view to have the node gone — the change
    /// stream's verdict, not a poll — for at most <c>Cluster:RemovalAckTimeout</c>, the time the authority itself waits for
    /// the removed node. False when the removal did not arrive in time or the client went away.
    /// </summary>
    private async Task<bool> RemovalArrivesAsync(string nodeId, CancellationToken requestAborted)
    {
        var gone = peerGone.WhenGone(nodeId);
        if (!gone.IsCancellationRequested)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(gone, requestAborted);
            try
            {
                await Task.Delay(options.Value.RemovalAckTimeout, either.Token);
            }
            catch (OperationCanceledException)
            {
                // the removal arrived, or the client went away
            }
        }

        return gone.IsCancellationRequested && !requestAborted.IsCancellationRequested;
    }

    /// <summary>
    /// A client announced at another node a moment ago may reach this node before the <c>AssignmentChanged</c>
    /// delta does (p50 ≈ 14 ms, p99 ≈ 50 ms on loopback; a fresh cluster's first one was seen slower): wait up
    /// to <c>Cluster:UnknownClientWait</c> for it before answering 404. Only unknown clients pay this, never a known one.
    /// Also the wait of <c>GET /api/clients/{id}</c> (<see cref="ClientsApi"/>). Woken by the change stream (<see cref="AssignmentChangeSignal"/>) when the table changes, not by a timer: a poll
    /// every 10 ms added up to 10 ms (a Linux timer tick more) after the delta had arrived.
    /// </summary>
    public async Task<bool> AssignmentArrivesAsync(string clientId, CancellationToken cancellationToken)
    {
        var wait = options.Value.UnknownClientWait;
        if (wait <= TimeSpan.Zero || !node.State.Nodes.Any(n => n.NodeId != node.NodeId && n.State == NodeState.Up))
        {
            return false; // alone: nobody else can have announced it
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var changed = assignmentChanged.NextChange(); // before the look: a change after it completes the task
            if (node.State.GetAssignment(clientId) is not null)
            {
                return true;
            }

            var rest = wait - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (rest <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            await changed.WaitAsync(rest, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
