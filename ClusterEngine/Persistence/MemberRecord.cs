using ClusterEngine.Membership;

namespace ClusterEngine.Persistence;

/// <summary>A member of the cluster as persisted (upserted by <see cref="NodeId"/>).</summary>
/// <param name="NodeId">Stable node identity.</param>
/// <param name="Url">Base URL of the node.</param>
/// <param name="Name">Display name.</param>
/// <param name="Capacity">Configured capacity (clients, &gt; 0).</param>
/// <param name="Mode">Operator-set mode.</param>
/// <param name="State">Last known liveness.</param>
/// <param name="Order">Membership order key (join order).</param>
/// <param name="Incarnation">The node process's incarnation.</param>
/// <param name="CapacityOverride">Capacity set by an operator at run time (clients), or null when none.</param>
public sealed record MemberRecord(
    string NodeId,
    string Url,
    string Name,
    int Capacity,
    NodeMode Mode,
    NodeState State,
    long Order,
    long Incarnation,
    int? CapacityOverride = null)
{
    /// <summary>The member as a <see cref="NodeInfo"/> for <see cref="ClusterState.AddOrUpdateNode"/>; the override wins over the configured capacity.</summary>
    public NodeInfo ToNodeInfo() =>
        new(NodeId, Url, CapacityOverride ?? Capacity, Name, Order, State, Mode, Incarnation: Incarnation);

    /// <summary>The record of a node as seen in a cluster view.</summary>
    /// <param name="status">The node's status.</param>
    /// <param name="capacityOverride">Operator-set capacity, if any.</param>
    public static MemberRecord FromStatus(NodeStatus status, int? capacityOverride = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new(status.NodeId, status.Url, status.Name, status.Capacity, status.Mode, status.State,
            status.Order, status.Incarnation, capacityOverride);
    }
}
