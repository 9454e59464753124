using ClusterEngine.Membership;

namespace ClusterEngine.Persistence.Model;

/// <summary>Row of table <c>Members</c>: one gossiped <see cref="MemberRecord"/>.</summary>
public sealed class MemberRow
{
    /// <summary>Stable node identity (primary key).</summary>
    public string NodeId { get; set; } = "";

    /// <summary>Base URL of the node.</summary>
    public string Url { get; set; } = "";

    /// <summary>Display name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Cluster-wide capacity (clients).</summary>
    public int Capacity { get; set; }

    /// <summary>Membership order key.</summary>
    public long Order { get; set; }

    /// <summary>Operator-set mode (stored as its integer value).</summary>
    public NodeMode Mode { get; set; }

    /// <summary>True when an operator removed the node.</summary>
    public bool Removed { get; set; }

    /// <summary>Version of the record (hybrid clock counter, <see cref="HybridClock"/>).</summary>
    public long Version { get; set; }

    /// <summary>Node that decided the version.</summary>
    public string VersionNodeId { get; set; } = "";

    /// <summary>Failure zone the node reports for itself (<c>Cluster:Zone</c>); empty for none.</summary>
    public string Zone { get; set; } = "";
}
