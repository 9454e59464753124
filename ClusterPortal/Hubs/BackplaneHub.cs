using ClusterEngine.Membership;
using ClusterEngine.Backplane;
using ClusterEngine.Placement;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>
/// <c>/hubs/backplane</c> (docs/architecture.md §7): what peers call over their client connection to this node. Only peers
/// with a fresh per-connection credential derived from <c>Cluster:Key</c> get in; <see cref="BackplaneAdmission"/> lets
/// only members call (a joining node: <c>Hello</c>), and each message is checked by the <see cref="PeerGuard"/> before the
/// role that owns it sees it (docs/identity.md). A thin shim over those roles: admission (<c>Hello</c>), membership
/// (<c>Members</c>, <c>MemberChange</c> to the authority), health (<c>Status</c>, disconnects), reconciliation
/// (<c>AssignmentChanged</c>, <c>Snapshot</c>), anti-entropy (<c>DigestBuckets</c>, <c>SnapshotBuckets</c>), placement
/// (<c>Offer</c>, <c>Claim</c>, <c>ClaimRelease</c>), the origin cache (<c>ItemChanged</c>), idle expiry (<c>ClientsSeen</c>) and mirror sync (<c>MirrorSync</c>).
/// </summary>
[Authorize(Policy = AuthSchemes.PeerPolicy)]
internal sealed class BackplaneHub(MembershipAgent membership, NodeAdmission admission, MembershipAuthority authority, ClusterHealthMonitor health,
    AssignmentReconciler reconciler, AntiEntropy antiEntropy, PlacementCoordinator placement, ClientClaims claims, BackplaneConnections connections,
    ClusterEngine.Origin.OriginCache origins, ClusterEngine.Mirroring.Sync.MirrorSyncReceiver mirrorSync, ClusterEngine.Deltas.ItemVersionStore versions,
    PeerGuard guard, InboundPeers inbound, ClusterEngine.ClusterState state, Metrics.PortalInstruments instruments, TimeProvider time) : Hub
{
    private string Peer => Context.User?.Identity?.Name ?? "";

    [HubMethodName(BackplaneMethods.Hello)]
    public Task<HelloReply> Hello(HelloRequest hello) =>
        admission.OnHelloAsync(Peer, guard.AdmitHello(Peer, hello) ?? throw new HubException($"Hello from {Peer} refused."));

    /// <summary><c>Status</c>: a peer's heartbeat; called (not sent), it is answered with this node's own status.</summary>
    [HubMethodName(BackplaneMethods.Status)]
    public StatusReply Status(StatusMessage status) =>
        health.OnStatus(guard.AdmitStatus(Peer, status) ?? throw new HubException($"Status from {Peer} refused."));

    /// <summary><c>MemberChange</c>: a membership change forwarded to this node as the membership authority.</summary>
    [HubMethodName(BackplaneMethods.MemberChange)]
    public MemberChangeReply MemberChange(MemberChangeRequest request) => authority.OnMemberChange(request);

    [HubMethodName(BackplaneMethods.DigestBuckets)]
    public long[] DigestBuckets() => antiEntropy.DigestBuckets();

    [HubMethodName(BackplaneMethods.SnapshotBuckets)]
    public IAsyncEnumerable<AssignmentDelta[]> SnapshotBuckets(int[] buckets, CancellationToken cancellationToken) =>
        antiEntropy.SnapshotBuckets(buckets, cancellationToken);

    [HubMethodName(BackplaneMethods.AssignmentChanged)]
    public void AssignmentChanged(AssignmentDelta[] deltas)
    {
        var admitted = guard.AdmitDeltas(Peer, deltas);
        reconciler.OnAssignmentChanged(admitted);
        instruments.BroadcastMerged(admitted, time.GetUtcNow());
    }

    [HubMethodName(BackplaneMethods.Offer)]
    public OfferReply Offer(OfferRequest offer) =>
        placement.OnOffer(guard.AdmitOffer(Peer, offer) ?? throw new HubException($"Offer from {Peer} refused."));

    [HubMethodName(BackplaneMethods.Claim)]
    public ClaimReply Claim(ClaimRequest claim) => guard.AdmitClientId(Peer, BackplaneMethods.Claim, claim?.ClientId) && claim?.ClaimId is { Length: > 0 and <= 64 }
        && ClusterEngine.Placement.AnnounceRetry.IsTagOrNone(claim.RetryTag)
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

    /// <summary><c>ItemChanged</c>: a peer's operator changed an origin item; keep the bytes we had as a version clients may hold, drop our cached copy now.</summary>
    [HubMethodName(BackplaneMethods.ItemChanged)]
    public void ItemChanged(ItemChangedMessage message)
    {
        if (ClusterPortal.Client.Contract.ItemKey.TryParse(message?.Key, out var key))
        {
            versions.KeepBeforeChange(origins, key, message!.Validator);
        }
    }

    /// <summary><c>ClientsSeen</c>: when the peer last saw clients this node holds a role of (docs/architecture.md §5, "Idle clients").</summary>
    [HubMethodName(BackplaneMethods.ClientsSeen)]
    public void ClientsSeen(ClientSeen[] seen)
    {
        if (guard.AdmitSeen(Peer, seen))
        {
            state.ApplySeen(seen);
        }
    }

    /// <summary><c>MirrorSync</c>: this node is the alternate of the batch's clients; merge, persist, acknowledge.</summary>
    [HubMethodName(BackplaneMethods.MirrorSync)]
    public MirrorSyncReply MirrorSync(MirrorSyncBatch batch) => guard.AdmitMirrorSync(Peer, batch)
        ? mirrorSync.Receive(Peer, batch)
        : throw new HubException($"MirrorSync from {Peer} refused.");

    [HubMethodName(BackplaneMethods.Snapshot)]
    public IAsyncEnumerable<AssignmentDelta[]> Snapshot(CancellationToken cancellationToken) => reconciler.Snapshot(cancellationToken);

    /// <summary>
    /// A peer's connection to this node opened: from now on its assignment changes arrive here; what it decided while the
    /// connection was closed never will, so an Up node pulls the difference at once (docs/recovery.md, "Both directions").
    /// </summary>
    public override Task OnConnectedAsync()
    {
        connections.Opened(Context);
        inbound.Opened(Peer);
        antiEntropy.OnInboundOpened(Peer);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Closed(Context);
        inbound.Closed(Peer);
        health.OnPeerDisconnected(Peer);
        return base.OnDisconnectedAsync(exception);
    }
}
