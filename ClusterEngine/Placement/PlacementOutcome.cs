namespace ClusterEngine.Placement;

/// <summary>Result kind of announcing a client (patent Fig. 1, steps 110–120).</summary>
public enum PlacementOutcome
{
    /// <summary>The client already had an assignment; nothing changed.</summary>
    Existing = 0,

    /// <summary>The client was given a primary and an alternate.</summary>
    Placed = 1,

    /// <summary>No eligible node is below capacity: answer 503 with Retry-After, never an over-capacity placement.</summary>
    ClusterFull = 2,

    /// <summary>Another announce of the same new id holds its claim (docs/identity.md): answer 409; nothing changed.</summary>
    Contended = 3,

    /// <summary>A claim holder could not decide (unreachable or not Up), or the placement ran out of its claim's time: answer 503 with Retry-After.</summary>
    Unavailable = 4,

    /// <summary>
    /// Eligible nodes below capacity exist in this node's view, but each one offered refused or did not answer (not Up with
    /// quorum, in maintenance, frozen or unreachable): the cluster is not full, so answer 503 with a short Retry-After.
    /// </summary>
    Refused = 5,
}
