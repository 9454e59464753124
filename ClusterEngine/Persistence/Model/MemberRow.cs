using ClusterEngine.Membership;

namespace ClusterEngine.Persistence.Model;

/// <summary>Row of table <c>Members</c>: one cluster member.</summary>
public sealed class MemberRow
{
    /// <summary>Stable node identity (primary key).</summary>
    public string NodeId { get; set; } = "";

    /// <summary>Base URL of the node.</summary>
    public string Url { get; set; } = "";

    /// <summary>Display name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Configured capacity (clients).</summary>
    public int Capacity { get; set; }

    /// <summary>Operator-set mode (stored as its integer value).</summary>
    public NodeMode Mode { get; set; }

    /// <summary>Last known liveness (stored as its integer value).</summary>
    public NodeState State { get; set; }

    /// <summary>Membership order key.</summary>
    public long Order { get; set; }

    /// <summary>The node process's incarnation.</summary>
    public long Incarnation { get; set; }

    /// <summary>Operator-set capacity (clients), or null.</summary>
    public int? CapacityOverride { get; set; }
}
