using ClusterEngine.Membership;
using ClusterEngine.Backplane;
using ClusterEngine.Placement;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>
/// <c>/hubs/backplane</c> (DESIGN.md §7): what peers call over their client connection to this node.
/// Only peers presenting a valid credential derived from <c>Cluster:Key</c> get in. A thin shim over
/// the role that owns each message: admission (<c>Hello</c>), membership (<c>Members</c>, <c>MemberChange</c> to the
/// authority), health (<c>Status</c>, disconnects), reconciliation (<c>AssignmentChanged</c>, <c>Snapshot</c>),
/// anti-entropy (<c>DigestBuckets</c>, <c>SnapshotBuckets</c>), placement (<c>Offer</c>), the origin cache
/// (<c>ItemChanged</c>) and mirror sync (<c>MirrorSync</c>).
/// </summary>
[Authorize(Policy = AuthSchemes.PeerPolicy)]
internal sealed class BackplaneHub(MembershipAgent membership, NodeAdmission admission, MembershipAuthority authority, ClusterHealthMonitor health,
    AssignmentReconciler reconciler, AntiEntropy antiEntropy, PlacementCoordinator placement, BackplaneConnections connections,
    ClusterEngine.Origin.OriginCache origins, ClusterEngine.Mirroring.Sync.MirrorSyncReceiver mirrorSync) : Hub
{
    private string Peer => Context.User?.Identity?.Name ?? "";

    [HubMethodName(BackplaneMethods.Hello)]
    public Task<HelloReply> Hello(HelloRequest hello) => admission.OnHelloAsync(Peer, hello);

    /// <summary><c>Status</c>: a peer's heartbeat; called (not sent), it is answered with this node's own status.</summary>
    [HubMethodName(BackplaneMethods.Status)]
    public StatusReply Status(StatusMessage status) => health.OnStatus(status ?? throw new HubException("A status is required."));

    /// <summary><c>MemberChange</c>: a membership change forwarded to this node as the membership authority.</summary>
    [HubMethodName(BackplaneMethods.MemberChange)]
    public MemberChangeReply MemberChange(MemberChangeRequest request) => authority.OnMemberChange(request);

    [HubMethodName(BackplaneMethods.DigestBuckets)]
    public long[] DigestBuckets() => antiEntropy.DigestBuckets();

    [HubMethodName(BackplaneMethods.SnapshotBuckets)]
    public IAsyncEnumerable<AssignmentDelta[]> SnapshotBuckets(int[] buckets, CancellationToken cancellationToken) =>
        antiEntropy.SnapshotBuckets(buckets, cancellationToken);

    [HubMethodName(BackplaneMethods.AssignmentChanged)]
    public void AssignmentChanged(AssignmentDelta[] deltas) => reconciler.OnAssignmentChanged(deltas);

    [HubMethodName(BackplaneMethods.Offer)]
    public OfferReply Offer(OfferRequest offer) => placement.OnOffer(offer);

    [HubMethodName(BackplaneMethods.Members)]
    public void Members(MemberRecord[] members) => membership.OnMembers(members ?? []);

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
    public MirrorSyncReply MirrorSync(MirrorSyncBatch batch) => mirrorSync.Receive(Peer, batch);

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
