using ClusterEngine.Placement;

namespace ClusterEngine.Backplane;

/// <summary>
/// Hub methods of <c>/hubs/backplane</c> (docs/architecture.md §7), called by peers over their client connection.
/// Names are the wire contract.
/// </summary>
public static class BackplaneMethods
{
    /// <summary><see cref="HelloRequest"/> → <see cref="HelloReply"/>.</summary>
    public const string Hello = "Hello";

    /// <summary><see cref="StatusMessage"/>; as a call answered with the receiver's <see cref="StatusReply"/>.</summary>
    public const string Status = "Status";

    /// <summary>Batch of <see cref="AssignmentDelta"/>, no answer.</summary>
    public const string AssignmentChanged = "AssignmentChanged";

    /// <summary><see cref="OfferRequest"/> → <see cref="OfferReply"/>.</summary>
    public const string Offer = "Offer";

    /// <summary><see cref="ClaimRequest"/> → <see cref="ClaimReply"/>: a first claim of a new client id at one of its two claim holders (docs/identity.md).</summary>
    public const string Claim = "Claim";

    /// <summary><see cref="ClaimRequest"/>, no answer: the announce that held the claim placed nobody; the owner forgets it.</summary>
    public const string ClaimRelease = "ClaimRelease";

    /// <summary>Batch of <see cref="Membership.MemberRecord"/>, no answer.</summary>
    public const string Members = "Members";

    /// <summary><see cref="MemberChangeRequest"/> → <see cref="MemberChangeReply"/>: a membership change, to the membership authority.</summary>
    public const string MemberChange = "MemberChange";

    /// <summary>Anti-entropy: the receiver's assignment digest per bucket of client ids (<c>long[256]</c>).</summary>
    public const string DigestBuckets = "DigestBuckets";

    /// <summary>Anti-entropy: streams every assignment (removals included) of the given buckets, in batches of <see cref="AssignmentDelta"/>.</summary>
    public const string SnapshotBuckets = "SnapshotBuckets";

    /// <summary><see cref="ItemChangedMessage"/>, no answer.</summary>
    public const string ItemChanged = "ItemChanged";

    /// <summary>Catch-up: streams every assignment the receiver holds, in batches of <see cref="AssignmentDelta"/>.</summary>
    public const string Snapshot = "Snapshot";

    /// <summary><see cref="MirrorSyncBatch"/> → <see cref="MirrorSyncReply"/> (primary to alternate, docs/architecture.md §8).</summary>
    public const string MirrorSync = "MirrorSync";

    /// <summary>
    /// Batch of at most <see cref="BatchSize"/> <see cref="ClientSeen"/>, no answer: when the sender last saw clients this
    /// node holds a role of, so the idle expiry a failover hands over counts from the client's last request
    /// (docs/architecture.md §5).
    /// </summary>
    public const string ClientsSeen = "ClientsSeen";

    /// <summary>
    /// Byte budget of one <see cref="MirrorSyncBatch"/> as estimated by the sender (JSON, worst-case escaping): 256 KiB,
    /// a quarter of the hub's 1 MiB <c>MaximumReceiveMessageSize</c>.
    /// </summary>
    public const int MirrorSyncMaxBytes = 256 * 1024;

    /// <summary>Largest batch of deltas per message (keeps messages well below the hub's size limit).</summary>
    public const int BatchSize = 500;
}
