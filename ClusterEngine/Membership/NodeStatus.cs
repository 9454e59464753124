namespace ClusterEngine.Membership;

/// <summary>
/// One node's status as seen in a cluster view: what each node broadcasts to the others
/// (patent Fig. 4, step 475; Fig. 8, items 850/860) merged with the counts of the local assignment table.
/// </summary>
/// <param name="NodeId">Stable node identity.</param>
/// <param name="Url">Base URL that peers and clients use for this node.</param>
/// <param name="Name">Display name.</param>
/// <param name="Capacity">Clients the node can serve as primary (&gt; 0).</param>
/// <param name="PrimaryCount">Clients the node serves as primary.</param>
/// <param name="AlternateCount">Clients the node serves as alternate.</param>
/// <param name="InFlight">Client requests the node is serving right now.</param>
/// <param name="MaxConcurrentRequests">The node's concurrent-request limit.</param>
/// <param name="Mode">Operator-set mode.</param>
/// <param name="State">Liveness seen by the failure detector.</param>
/// <param name="Incarnation">Changes on every restart of the node process.</param>
/// <param name="Sequence">Sequence number of the node's last status message within its incarnation.</param>
/// <param name="Order">Membership order key (join order); ties are broken by <paramref name="NodeId"/>.</param>
/// <param name="Zone">Failure zone (<c>Cluster:Zone</c>); empty for none.</param>
public sealed record NodeStatus(
    string NodeId,
    string Url,
    string Name,
    int Capacity,
    int PrimaryCount,
    int AlternateCount,
    int InFlight,
    int MaxConcurrentRequests,
    NodeMode Mode,
    NodeState State,
    long Incarnation,
    long Sequence,
    long Order,
    string Zone = "")
{
    /// <summary>Load ratio <c>PrimaryCount / Capacity</c> (fraction; above 1 after a capacity cut or an over-capacity failover).</summary>
    public double LoadRatio => Capacity > 0 ? (double)PrimaryCount / Capacity : double.PositiveInfinity;
}
