namespace ClusterEngine.Membership;

/// <summary>Liveness of a node as the failure detector sees it (docs/architecture.md §3, §7).</summary>
public enum NodeState
{
    /// <summary>Added, but has not yet answered the backplane: nobody's primary or alternate.</summary>
    Joining = 0,

    /// <summary>Alive and reachable.</summary>
    Up = 1,

    /// <summary>One transient drop or a late heartbeat: still served, with a short timeout.</summary>
    Suspect = 2,

    /// <summary>Stopped, crashed or silent past the failure timeout: unavailable (patent Fig. 6, step 640).</summary>
    Down = 3,

    /// <summary>Shutting down gracefully and handing its clients to their alternates.</summary>
    Leaving = 4,

    /// <summary>Left the cluster or was removed by an operator.</summary>
    Left = 5,
}
