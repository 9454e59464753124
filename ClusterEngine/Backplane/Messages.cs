using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Backplane;

/// <summary>
/// <c>Status</c> heartbeat (docs/architecture.md §7; patent Fig. 4 step 475, Fig. 8 items 850/860): sent every
/// <c>HeartbeatInterval</c> and on change. Newer (incarnation, sequence) wins.
/// </summary>
/// <param name="NodeId">Sender.</param>
/// <param name="Incarnation">Sender's process incarnation (changes on restart).</param>
/// <param name="Sequence">Status sequence within the incarnation.</param>
/// <param name="State">The sender's own view of itself: Joining (catching up), Up, or Leaving.</param>
/// <param name="InFlight">Client requests in flight at the sender.</param>
/// <param name="MaxConcurrentRequests">The sender's concurrent-request limit.</param>
/// <param name="PrimaryCount">Clients the sender counts as its primaries (diagnostic; views count from deltas).</param>
/// <param name="AlternateCount">Clients the sender counts as its alternates.</param>
/// <param name="Clock">The sender's assignment clock (hybrid, <see cref="HybridClock"/>): a peer that is behind pulls catch-up.</param>
/// <param name="MembershipDigest">Hash of the sender's member list; the receiver answers a mismatch with its own list (<see cref="StatusReply"/>).</param>
/// <param name="Traffic">The sender's item-traffic totals (for dashboards); null from a sender without metrics.</param>
/// <param name="AssignmentDigest">The sender's assignment-table digest (<see cref="Membership.ClusterSnapshot.Digest"/>); a peer whose own differs for longer than <c>Cluster:AntiEntropyDelay</c> pulls the differing part.</param>
/// <param name="ClientCount">Clients with a live assignment at the sender.</param>
/// <param name="Hearing">What the sender hears of each peer (<see cref="PeerHearing"/>): each peer learns from it that
/// it is heard, for how long it may count on that (its serving lease), and its round trip to the sender.</param>
public sealed record StatusMessage(
    string NodeId, long Incarnation, long Sequence, NodeState State, int InFlight, int MaxConcurrentRequests,
    int PrimaryCount, int AlternateCount, long Clock, long MembershipDigest, NodeTraffic? Traffic = null,
    long AssignmentDigest = 0, int ClientCount = 0, IReadOnlyList<PeerHearing>? Hearing = null);

/// <summary>
/// One line of a <see cref="StatusMessage.Hearing"/>: the sender last heard <paramref name="NodeId"/>'s status
/// <paramref name="Sequence"/> (of incarnation <paramref name="Incarnation"/>) <paramref name="HeldMs"/> ms before sending,
/// and would declare it Down after <paramref name="TimeoutMs"/> ms of silence (docs/network.md "Partitions").
/// </summary>
/// <param name="NodeId">The peer heard.</param>
/// <param name="Incarnation">The peer's incarnation that status came from.</param>
/// <param name="Sequence">The last status sequence heard from it.</param>
/// <param name="HeldMs">Milliseconds between hearing that status and sending this one.</param>
/// <param name="TimeoutMs">The sender's current silence timeout for the peer, ms.</param>
public sealed record PeerHearing(string NodeId, long Incarnation, long Sequence, int HeldMs, int TimeoutMs);

/// <summary>
/// Answer to a <see cref="StatusMessage"/> sent as a call: the receiver's own status — evidence of life over the
/// sender's own connection, so a node that just restarted hears its peers before their connections back to it are
/// open — and, when the membership digests differ, the receiver's member list.
/// </summary>
/// <param name="Status">The receiver's status.</param>
/// <param name="Members">The receiver's member list when the sender's digest differs from its own; else null.</param>
public sealed record StatusReply(StatusMessage Status, IReadOnlyList<MemberRecord>? Members);

/// <summary><c>Offer</c> request: "will you be this client's primary?" (patent Fig. 3/4, steps 350–490).</summary>
/// <param name="ClientId">The new client.</param>
/// <param name="Bounces">Bounces so far (0 for the round-robin pick).</param>
/// <param name="Offered">Node ids already offered this client.</param>
public sealed record OfferRequest(string ClientId, int Bounces, IReadOnlyList<string> Offered);

/// <summary><c>Offer</c> answer.</summary>
/// <param name="Outcome">Accept, bounce or refuse.</param>
/// <param name="BounceTo">Bounce target, for <see cref="AdmissionOutcome.Bounce"/>.</param>
/// <param name="Assignment">On accept: the assignment delta the accepting primary made (or the client's existing one).</param>
/// <param name="Existing">True when the offered node already knew the client: <paramref name="Assignment"/> is its existing
/// assignment, not a new one, and the announcing node must treat the client as existing (its token needed).</param>
public sealed record OfferReply(AdmissionOutcome Outcome, string? BounceTo, AssignmentDelta? Assignment, bool Existing = false);

/// <summary><c>Claim</c> and <c>ClaimRelease</c> request (docs/identity.md): the announcing node asks each of the client id's two claim holders.</summary>
/// <param name="ClientId">The new client's id.</param>
/// <param name="ClaimId">An id of this one announce that no other announce in the cluster presents (a random per-process prefix and a counter; a retry of the same announce presents the same one).</param>
/// <param name="RetryTag">The device's announce retry key as a tag (<see cref="Placement.AnnounceRetry.Tag"/>: 32 lowercase hex
/// digits, never the key itself), or null. A holder that granted a claim with a tag recognises a later claim of the same id
/// with the same tag for <c>Cluster:AnnounceRetryWindow</c>: the device that registered the id retrying an announce whose
/// answer it lost (docs/identity.md, "A lost announce answer").</param>
public sealed record ClaimRequest(string ClientId, string ClaimId, string? RetryTag = null);

/// <summary><c>Claim</c> answer.</summary>
/// <param name="Outcome">What the claim holder decided.</param>
/// <param name="Assignment">For <see cref="ClaimOutcome.Exists"/>: the client's assignment as the holder has it.</param>
/// <param name="RetryMatched">For <see cref="ClaimOutcome.Exists"/>: the claim's <see cref="ClaimRequest.RetryTag"/> is the one
/// this holder granted the id's registering claim with, within the retry window.</param>
public sealed record ClaimReply(ClaimOutcome Outcome, AssignmentDelta? Assignment = null, bool RetryMatched = false);

/// <summary>A claim holder's answer to a first claim of a client id (the numbers are the wire form; 3 is no longer used).</summary>
public enum ClaimOutcome
{
    /// <summary>The claim is this announce's until the assignment arrives or the claim expires: place the client.</summary>
    Granted = 0,

    /// <summary>The client exists: its token is needed (as for any existing client).</summary>
    Exists = 1,

    /// <summary>Another announce holds a pending claim of the id.</summary>
    Contended = 2,

    /// <summary>The answering node is not Up (joining, catching up, removed): it may not decide.</summary>
    NotReady = 4,

    /// <summary>A claim holder could not be reached or was not Up (only on the announcing node: answer 503 and let the client retry).</summary>
    Unavailable = 5,
}

/// <summary>Handshake a node sends when it connects to a peer or joins through a seed.</summary>
/// <param name="Self">The sender as a member.</param>
/// <param name="Incarnation">The sender's incarnation.</param>
/// <param name="Join">True when the sender asks to be added to the membership (seed join).</param>
public sealed record HelloRequest(MemberRecord Self, long Incarnation, bool Join);

/// <summary>Answer to <see cref="HelloRequest"/>: the receiver's id, incarnation and member list, or a refusal.</summary>
/// <param name="NodeId">The receiver's node id.</param>
/// <param name="Members">The receiver's member list (after adding the sender when it asked to join); empty when refused.</param>
/// <param name="Incarnation">The receiver's incarnation.</param>
/// <param name="Refused">
/// Why the sender may not be the member it claims to be (its id belongs to a live member at another URL); the sender
/// then stops with exit code 2. Null when accepted.
/// </param>
public sealed record HelloReply(string NodeId, IReadOnlyList<MemberRecord> Members, long Incarnation = 0, string? Refused = null);

/// <summary>What a membership change asks of the authority (<see cref="MemberChangeRequest"/>).</summary>
public enum MemberChangeKind
{
    /// <summary>Add a node (a seed join, or an operator's <c>POST /api/nodes</c>), or add a removed node again.</summary>
    Add = 0,

    /// <summary>Change a member's capacity and mode (an operator's <c>PATCH /api/nodes/{id}</c>).</summary>
    Update = 1,

    /// <summary>Remove a member (an operator's <c>DELETE /api/nodes/{id}</c>).</summary>
    Remove = 2,

    /// <summary>A member that is not alive at its URL came back at another one (it moved): record the new URL.</summary>
    Move = 3,

    /// <summary>
    /// Changes nothing: whether the member is live in the authority's list. Answered Unavailable while its removal waits
    /// for it (the removal is not in anybody's list yet), else Applied with the member as it is, or NotFound. A node that is
    /// not the authority asks it before answering an operator's re-add of a member it sees live (409, or 503 "being removed").
    /// </summary>
    Check = 4,
}

/// <summary>
/// <c>MemberChange</c> request: a membership change decided at one node, forwarded to the membership authority, which
/// alone stamps member-list versions (docs/recovery.md, "Membership authority").
/// </summary>
/// <param name="Kind">Add, update or remove.</param>
/// <param name="Record">The member as the change wants it (its version is ignored: the authority stamps it).</param>
public sealed record MemberChangeRequest(MemberChangeKind Kind, MemberRecord Record);

/// <summary>How the authority answered a <see cref="MemberChangeRequest"/>.</summary>
public enum MemberChangeStatus
{
    /// <summary>Applied, stamped and gossiped (or already so: a repeated change).</summary>
    Applied = 0,

    /// <summary>No such member (update or remove).</summary>
    NotFound = 1,

    /// <summary>The id belongs to a live member at another URL, or the URL to another member.</summary>
    Conflict = 2,

    /// <summary>The receiver is not the authority, or no authority can be reached now: try again later.</summary>
    Unavailable = 3,
}

/// <summary><c>MemberChange</c> answer.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Record">The member record as stamped (Applied).</param>
/// <param name="Error">Why not, for the operator (not Applied).</param>
public sealed record MemberChangeReply(MemberChangeStatus Status, MemberRecord? Record, string? Error);

/// <summary>
/// <c>ItemChanged</c>: an origin item changed; peers keep the bytes they had cached as a version clients may hold
/// (deltas, <c>docs/deltas.md</c>) and drop their cached copy — unless it already is the new version.
/// </summary>
/// <param name="Key">Item key.</param>
/// <param name="Validator">The new version's CRC-64 validator, or null when the item was deleted (or the sender is older).</param>
public sealed record ItemChangedMessage(string Key, ulong? Validator = null);

/// <summary>
/// <c>MirrorSync</c> request (docs/architecture.md §7, §8; patent "Primary Server Selection": the copies of the client's cache on
/// the primary and alternate servers are synchronised via the management backplane): from a client's primary to its
/// alternate, one or more clients' mirror snapshots, kept below <see cref="BackplaneMethods.MirrorSyncMaxBytes"/>.
/// Idempotent: applying it twice changes nothing the second time.
/// </summary>
/// <param name="Version">Wire version of the message (<see cref="CurrentVersion"/>).</param>
/// <param name="FromNodeId">The sending primary.</param>
/// <param name="Parts">Snapshot parts; one client's snapshot may span several parts and batches (in order).</param>
public sealed record MirrorSyncBatch(int Version, string FromNodeId, IReadOnlyList<MirrorSyncPart> Parts)
{
    /// <summary>The version this node writes and understands.</summary>
    public const int CurrentVersion = 1;
}

/// <summary>One piece of a client's <see cref="Mirroring.MirrorSnapshot"/> in a <see cref="MirrorSyncBatch"/>.</summary>
/// <param name="Snapshot">The snapshot's header and this piece's entries.</param>
/// <param name="More"><see langword="true"/> when more entries of the same snapshot follow; the alternate applies it after the last piece.</param>
public sealed record MirrorSyncPart(Mirroring.MirrorSnapshot Snapshot, bool More);

/// <summary>What the alternate did with a completed snapshot of one client.</summary>
/// <param name="ClientId">The client.</param>
/// <param name="Status">The outcome.</param>
/// <param name="Sequence">The alternate's mirror sequence for the client after the merge (0 when it holds none).</param>
public sealed record MirrorSyncAck(string ClientId, MirrorSyncStatus Status, ulong Sequence);

/// <summary><c>MirrorSync</c> answer: one acknowledgement per completed snapshot of the batch.</summary>
/// <param name="NodeId">The answering node.</param>
/// <param name="Acks">Acknowledgements, in the order of the completed snapshots.</param>
public sealed record MirrorSyncReply(string NodeId, IReadOnlyList<MirrorSyncAck> Acks);

/// <summary>Outcome of one client's snapshot at the alternate (<see cref="Mirroring.MergeResult"/> plus the role check).</summary>
public enum MirrorSyncStatus
{
    /// <summary>Applied and persisted: the alternate is at the snapshot's sequence.</summary>
    Applied = 0,

    /// <summary>The alternate already was at the snapshot's sequence (a repeated sync).</summary>
    AlreadyCurrent = 1,

    /// <summary>The alternate is already past the snapshot's sequence (a late sync); nothing changed.</summary>
    Stale = 2,

    /// <summary>A delta on another base: nothing changed; the primary sends the whole mirror.</summary>
    NeedsFullSync = 3,

    /// <summary>Refused: the receiver is the client's primary in its own view (a stale sender after failover).</summary>
    Refused = 4,
}
