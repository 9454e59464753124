using ClusterEngine.Placement;

namespace ClusterEngine.Persistence.Model;

/// <summary>Row of table <c>Assignments</c>: the newest known assignment of one client, or its removal tombstone.</summary>
public sealed class AssignmentRow
{
    /// <summary>The client's id (primary key).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Primary node id; null marks a removed client (tombstone).</summary>
    public string? Primary { get; set; }

    /// <summary>Alternate node id, or null.</summary>
    public string? Alternate { get; set; }

    /// <summary>Hybrid clock counter of the version (<see cref="HybridClock"/>).</summary>
    public long VersionCounter { get; set; }

    /// <summary>Node id of the version (tie-breaker).</summary>
    public string VersionNodeId { get; set; } = "";

    /// <summary>
    /// The registration the assignment belongs to: the version counter of the decision that placed the client id anew
    /// (<see cref="Assignment.Registration"/>; client tokens are bound to it, docs/architecture.md §5). 0 for rows written
    /// before it was stored.
    /// </summary>
    public long Registration { get; set; }

    /// <summary>Bounces made when the client was placed.</summary>
    public int Bounces { get; set; }

    /// <summary>Reason of the last change (stored as its integer value).</summary>
    public AssignmentChangeReason Reason { get; set; }

    /// <summary>When the row was last written (UTC; stored as Unix milliseconds).</summary>
    public DateTimeOffset LastSeenUtc { get; set; }
}
