namespace ClusterEngine.Placement;

/// <summary>Why an assignment changed; carried in every delta for the event stream.</summary>
public enum AssignmentChangeReason
{
    /// <summary>A new client was given a primary and an alternate (patent Fig. 4, steps 470/490 and Fig. 5).</summary>
    Assigned = 0,

    /// <summary>The primary was unavailable; the alternate became primary and a new alternate was chosen (Fig. 6, steps 670–680).</summary>
    FailedOver = 1,

    /// <summary>Primary and alternate were both unavailable; the client was assigned anew (Fig. 6, step 660 → 620).</summary>
    Reassigned = 2,

    /// <summary>The client got a (new) alternate because it had none or lost it (Fig. 5).</summary>
    AlternateChanged = 3,

    /// <summary>The client was removed (idle timeout or operator).</summary>
    Removed = 4,

    /// <summary>A leaving or removed node handed the client to its alternate.</summary>
    HandedOver = 5,
}
