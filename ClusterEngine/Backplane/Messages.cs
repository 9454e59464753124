using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Backplane;

/// <summary>
/// <c>Status</c> heartbeat (DESIGN.md §7; patent Fig. 4 step 475, Fig. 8 items 850/860): sent every
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
/// <param name="Clock">The sender's assignment Lamport clock: a peer that is behind pulls catch-up.</param>
/// <param name="MembershipDigest">Hash of the sender's member list; a mismatch triggers a <c>Members</c> exchange.</param>
/// <param name="Traffic">The sender's item-traffic totals (for dashboards); null from a sender without metrics.</param>
public sealed record StatusMessage(
    string NodeId, long Incarnation, long Sequence, NodeState State, int InFlight, int MaxConcurrentRequests,
    int PrimaryCount, int AlternateCount, long Clock, long MembershipDigest, NodeTraffic? Traffic = null);

/// <summary><c>Offer</c> request: "will you be this client's primary?" (patent Fig. 3/4, steps 350–490).</summary>
/// <param name="ClientId">The new client.</param>
/// <param name="Bounces">Bounces so far (0 for the round-robin pick).</param>
/// <param name="Offered">Node ids already offered this client.</param>
public sealed record OfferRequest(string ClientId, int Bounces, IReadOnlyList<string> Offered);

/// <summary><c>Offer</c> answer.</summary>
/// <param name="Outcome">Accept, bounce or refuse.</param>
/// <param name="BounceTo">Bounce target, for <see cref="AdmissionOutcome.Bounce"/>.</param>
/// <param name="Assignment">On accept: the assignment delta the accepting primary made (or the client's existing one).</param>
public sealed record OfferReply(AdmissionOutcome Outcome, string? BounceTo, AssignmentDelta? Assignment);

/// <summary>Handshake a node sends when it connects to a peer or joins through a seed.</summary>
/// <param name="Self">The sender as a member.</param>
/// <param name="Incarnation">The sender's incarnation.</param>
/// <param name="Join">True when the sender asks to be added to the membership (seed join).</param>
public sealed record HelloRequest(MemberRecord Self, long Incarnation, bool Join);

/// <summary>Answer to <see cref="HelloRequest"/>: the receiver's id and member list.</summary>
/// <param name="NodeId">The receiver's node id.</param>
/// <param name="Members">The receiver's member list (after adding the sender when it asked to join).</param>
public sealed record HelloReply(string NodeId, IReadOnlyList<MemberRecord> Members);

/// <summary><c>ItemChanged</c>: an origin item changed; peers drop their cached copy.</summary>
/// <param name="Key">Item key.</param>
public sealed record ItemChangedMessage(string Key);
