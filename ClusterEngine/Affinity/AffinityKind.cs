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
}
