namespace ClusterEngine.Events;

/// <summary>What happened, as shown in the dashboard's event stream and published on <c>/hubs/feed</c> (docs/architecture.md §10).</summary>
public enum ClusterEventKind
{
    /// <summary>A new client got a primary and an alternate (patent Fig. 4, steps 470/490; Fig. 5).</summary>
    Assigned = 0,

    /// <summary>A new client was bounced to a less loaded node before it was assigned (Fig. 3/4, steps 440–460).</summary>
    Bounced = 1,

    /// <summary>The primary was unavailable; the alternate became primary (Fig. 6, steps 670–680), or a leaving node handed the client over.</summary>
    FailedOver = 2,

    /// <summary>Primary and alternate were both gone and the client was assigned anew (Fig. 6, step 660 → 620).</summary>
    Reassigned = 3,

    /// <summary>A client got a new alternate (Fig. 5).</summary>
    AlternateChanged = 4,

    /// <summary>A client was removed (idle timeout, logoff or operator).</summary>
    Removed = 5,

    /// <summary>A recovered node reconciled its roles with the cluster (Fig. 7).</summary>
    Reconciled = 6,

    /// <summary>A client's mirror entries were sent to, and acknowledged by, its alternate (docs/architecture.md §8).</summary>
    Synced = 7,

    /// <summary>A node joined the cluster or came back Up.</summary>
    NodeJoined = 8,

    /// <summary>A node was declared Down (failure detection, docs/architecture.md §7).</summary>
    NodeDown = 9,

    /// <summary>An operator added a node at run time (<c>POST /api/nodes</c>).</summary>
    NodeAdded = 10,

    /// <summary>A node was removed by an operator or left gracefully.</summary>
    NodeRemoved = 11,

    /// <summary>A node's mode or capacity changed (<c>PATCH /api/nodes/{nodeId}</c>).</summary>
    NodeChanged = 12,
}
