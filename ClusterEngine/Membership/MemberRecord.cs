namespace ClusterEngine.Membership;

/// <summary>One member as gossiped in <c>Members</c> (docs/architecture.md §7) and persisted. Per node the highest version wins.</summary>
/// <param name="NodeId">Node id.</param>
/// <param name="Url">Base URL.</param>
/// <param name="Name">Display name.</param>
/// <param name="Capacity">Capacity (clients); an operator's value wins over the node's own setting.</param>
/// <param name="Order">Membership order key (join order).</param>
/// <param name="Mode">Active or Maintenance.</param>
/// <param name="Removed">True when an operator removed the node (it may not rejoin until added again).</param>
/// <param name="Version">Version of this record: hybrid clock counter (<see cref="HybridClock"/>) of the deciding node.</param>
/// <param name="VersionNodeId">The deciding node (ties on <paramref name="Version"/> break by this id).</param>
/// <param name="Incarnation">
/// The member's process incarnation as last stamped by the membership authority (a restart is a new incarnation; 0 =
/// not known yet). Gossiped, not stored: a restored record has 0 until the authority hears the member again.
/// </param>
/// <param name="Zone">Failure zone the node reports for itself (<c>Cluster:Zone</c>); empty for none.</param>
public sealed record MemberRecord(
    string NodeId, string Url, string Name, int Capacity, long Order, NodeMode Mode, bool Removed, long Version, string VersionNodeId,
    long Incarnation = 0, string Zone = "")
{
    /// <summary>This record as a node of a <see cref="ClusterState"/>, in <paramref name="state"/>.</summary>
    public NodeInfo ToNodeInfo(NodeState state, int maxConcurrentRequests = 1000, long incarnation = 0) =>
        new(NodeId, Url, Capacity, Name, Order, Removed ? NodeState.Left : state, Mode, maxConcurrentRequests, incarnation, Zone);
}

