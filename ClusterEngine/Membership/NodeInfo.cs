namespace ClusterEngine.Membership;

/// <summary>What is needed to add a node to the cluster view.</summary>
/// <param name="NodeId">Stable node identity (1–64 characters of <c>A-Za-z0-9._-</c>).</param>
/// <param name="Url">Base URL of the node.</param>
/// <param name="Capacity">Clients the node can serve as primary (&gt; 0).</param>
/// <param name="Name">Display name; the node id when null.</param>
/// <param name="Order">Membership order key (join order). Nodes are ordered by this key, then by id.</param>
/// <param name="State">Initial state; a node added at run time starts <see cref="NodeState.Joining"/>.</param>
/// <param name="Mode">Initial mode.</param>
/// <param name="MaxConcurrentRequests">The node's concurrent-request limit.</param>
/// <param name="Incarnation">The node process's incarnation.</param>
/// <param name="Zone">Failure zone (<c>Cluster:Zone</c>); empty for none.</param>
public sealed record NodeInfo(
    string NodeId,
    string Url,
    int Capacity,
    string? Name = null,
    long Order = 0,
    NodeState State = NodeState.Up,
    NodeMode Mode = NodeMode.Active,
    int MaxConcurrentRequests = 1000,
    long Incarnation = 0,
    string Zone = "");
