namespace ClusterEngine.Affinity;

/// <summary>How a client request is routed (patent Fig. 6).</summary>
public enum AffinityKind
{
    /// <summary>The primary is available and serves the request (step 650).</summary>
    Primary = 0,

    /// <summary>The alternate became primary and a new alternate was chosen (steps 670–680).</summary>
    FailedOver = 1,

    /// <summary>Primary and alternate were unavailable; the client was assigned anew (step 660 → 620).</summary>
    Reassigned = 2,

    /// <summary>The client has no assignment: it must announce itself first (step 610).</summary>
    NotAssigned = 3,

    /// <summary>The client needs a new primary but no eligible node is below capacity.</summary>
    ClusterFull = 4,

    /// <summary>
    /// The primary is <c>Joining</c>: alive, catching up after a start, a thaw or a re-add (patent Fig. 7), and about to
    /// serve. The request is answered 503 with <c>Retry-After</c> and the client is not taken over: a takeover raced with
    /// the node turning Up, and both served the client until the change reached it (docs/recovery.md "Joining → Up").
    /// </summary>
    PrimaryJoining = 5,

    /// <summary>
    /// The primary is <c>Down</c> but may be restarting with this node (not heard from since this node started, within
    /// <c>Cluster:RestartGrace</c>; <see cref="Membership.RestartGrace"/>). The request is answered 503 with
    /// <c>Retry-After</c> and the client is not taken over: after a full restart, requests to the first node up moved every
    /// client there (docs/recovery.md, "Down for good").
    /// </summary>
    PrimaryRestarting = 6,
}
