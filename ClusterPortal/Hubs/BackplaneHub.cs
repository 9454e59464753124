using ClusterEngine.Membership;
using ClusterEngine.Backplane;
using ClusterEngine.Placement;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>
/// <c>/hubs/backplane</c> (DESIGN.md §7): what peers call over their client connection to this node. Only peers with a
/// fresh per-connection credential derived from <c>Cluster:Key</c> get in; <see cref="BackplaneAdmission"/> lets only
/// members call (a joining node: <c>Hello</c>), and each message is checked by the <see cref="PeerGuard"/> before the role
/// that owns it sees it (docs/identity.md). A thin shim over those roles: membership (<c>Hello</c>, <c>Members</c>),
/// health (<c>Status</c>, disconnects), reconciliation (<c>AssignmentChanged</c>, <c>Snapshot</c>), placement
/// (<c>Offer</c>, <c>Claim</c>, <c>ClaimRelease</c>), the origin cache (<c>ItemChanged</c>) and mirror sync (<c>MirrorSync</c>).
/// </summary>
[Authorize(Policy = AuthSchemes.PeerPolicy)]
internal sealed class BackplaneHub(MembershipAgent membership, ClusterHealthMonitor health, AssignmentReconciler reconciler,
    PlacementCoordinator placement, ClientClaims claims, BackplaneConnections connections, ClusterEngine.Origin.OriginCache origins,
    ClusterEngine.Mirroring.Sync.MirrorSyncReceiver mirrorSync, PeerGuard guard) : Hub
{
    private string Peer => Context.User?.Identity?.Name ?? "";

    [HubMethodName(BackplaneMethods.Hello)]
    public HelloReply Hello(HelloRequest hello) =>
        membership.OnHello(Peer, guard.AdmitHello(Peer, hello) ?? throw new HubException($"Hello from {Peer} refused."));

    [HubMethodName(BackplaneMethods.Status)]
    public void Status(StatusMessage status)
    {
        if (guard.AdmitStatus(Peer, status) is { } admitted)
        {
            health.OnStatus(admitted);
        }
    }

    [HubMethodName(BackplaneMethods.AssignmentChanged)]
    public void AssignmentChanged(AssignmentDelta[] deltas) => reconciler.OnAssignmentChanged(guard.AdmitDeltas(Peer, deltas));

    [HubMethodName(BackplaneMethods.Offer)]
    public OfferReply Offer(OfferRequest offer) =>
        placement.OnOffer(guard.AdmitOffer(Peer, offer) ?? throw new HubException($"Offer from {Peer} refused."));

    [HubMethodName(BackplaneMethods.Claim)]
    public ClaimReply Claim(ClaimRequest claim) => guard.AdmitClientId(Peer, BackplaneMethods.Claim, claim?.ClientId) && claim?.ClaimId is { Length: > 0 and <= 64 }
        ? claims.OnClaim(Peer, claim)
        : throw new HubException($"Claim from {Peer} refused.");

    [HubMethodName(BackplaneMethods.ClaimRelease)]
    public void ClaimRelease(ClaimRequest claim)
    {
        if (claim is not null && guard.AdmitClientId(Peer, BackplaneMethods.ClaimRelease, claim.ClientId))
        {
            claims.OnRelease(Peer, claim);
        }
    }

    [HubMethodName(BackplaneMethods.Members)]
    public void Members(MemberRecord[] members)
    {
        if (guard.AdmitMembers(Peer, members) is { } admitted)
        {
            membership.OnMembers(admitted);
        }
    }

    /// <summary><c>ItemChanged</c>: a peer's operator changed an origin item; drop our cached copy now.</summary>
    [HubMethodName(BackplaneMethods.ItemChanged)]
    public void ItemChanged(ItemChangedMessage message)
    {
        if (ClusterPortal.Client.Contract.ItemKey.TryParse(message?.Key, out var key))
        {
            origins.Invalidate(key);
        }
    }

    /// <summary><c>MirrorSync</c>: this node is the alternate of the batch's clients; merge, persist, acknowledge.</summary>
    [HubMethodName(BackplaneMethods.MirrorSync)]
    public MirrorSyncReply MirrorSync(MirrorSyncBatch batch) => guard.AdmitMirrorSync(Peer, batch)
        ? mirrorSync.Receive(Peer, batch)
        : throw new HubException($"MirrorSync from {Peer} refused.");

    [HubMethodName(BackplaneMethods.Snapshot)]
    public IAsyncEnumerable<AssignmentDelta[]> Snapshot(CancellationToken cancellationToken) => reconciler.Snapshot(cancellationToken);

    public override Task OnConnectedAsync()
    {
        connections.Opened(Context);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Closed(Context);
        health.OnPeerDisconnected(Peer);
        return base.OnDisconnectedAsync(exception);
    }
}
