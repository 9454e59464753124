namespace ClusterEngine.Membership;

/// <summary>Operator-set mode of a node (docs/architecture.md §3).</summary>
public enum NodeMode
{
    /// <summary>The node takes new clients and serves its own.</summary>
    Active = 0,

    /// <summary>The node is out of rotation: it is nobody's primary and takes no new client (patent Fig. 6, step 640).</summary>
    Maintenance = 1,
}
