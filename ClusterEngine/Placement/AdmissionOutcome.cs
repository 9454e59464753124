namespace ClusterEngine.Placement;

/// <summary>What a potential primary answers to an offer of a new client (patent Fig. 4, steps 460–490).</summary>
public enum AdmissionOutcome
{
    /// <summary>The node becomes the client's primary (step 470 or 490).</summary>
    Accept = 0,

    /// <summary>The node bounces the client to the lowest-ratio node (step 480).</summary>
    Bounce = 1,

    /// <summary>The node is at capacity and may not bounce: try elsewhere, or the cluster is full.</summary>
    Refuse = 2,
}
