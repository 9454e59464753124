namespace ClusterEngine.Membership;

/// <summary>
/// An immutable, versioned picture of one node's cluster view: every known member in membership order with its state,
/// mode, load and role counts, the number of clients and the table's clock. Readers (dashboard, API, forwarder,
/// request routing) take it without the decision lock; <see cref="ClusterState"/> makes a new one lazily after a change,
/// so a burst of decisions costs one rebuild, never a copy of the assignment table.
/// </summary>
public sealed class ClusterSnapshot
{
    private readonly Dictionary<string, NodeStatus> _byId;

    internal ClusterSnapshot(long version, NodeStatus[] nodes, string[] nodeIdsByIndex, int clientCount, long clock)
    {
        Version = version;
        Nodes = nodes;
        NodeIdsByIndex = nodeIdsByIndex;
        ClientCount = clientCount;
        Clock = clock;
        _byId = nodes.ToDictionary(n => n.NodeId, StringComparer.Ordinal);
    }

    /// <summary>Takes the picture of <paramref name="view"/> and the counts of <paramref name="table"/> (the owner's lock is held).</summary>
    internal static ClusterSnapshot Of(long version, MemberTable view, Placement.AssignmentTable table)
    {
        var nodes = new NodeStatus[view.Ordered.Length];
        for (var k = 0; k < nodes.Length; k++)
        {
            var i = view.Ordered[k];
            var m = view[i];
            nodes[k] = new NodeStatus(m.NodeId, m.Url, m.Name, m.Capacity, table.PrimaryCount(i), table.AlternateCount(i),
                m.InFlight, m.MaxConcurrentRequests, m.Mode, m.State, m.Incarnation, m.Sequence, m.Order, m.Zone);
        }

        return new ClusterSnapshot(version, nodes, view.NodeIds(), table.ClientCount, table.Clock);
    }

    /// <summary>The view's change counter when this snapshot was taken (grows with every membership or assignment change).</summary>
    public long Version { get; }

    /// <summary>Every known node in membership order.</summary>
    public IReadOnlyList<NodeStatus> Nodes { get; }

    /// <summary>Clients with a live assignment.</summary>
    public int ClientCount { get; }

    /// <summary>Lamport clock of the assignment table.</summary>
    public long Clock { get; }

    /// <summary>Node ids by internal index (members and ids only seen in deltas), for reading assignment slots.</summary>
    internal string[] NodeIdsByIndex { get; }

    /// <summary>The status of <paramref name="nodeId"/>, or null when it is not a known member.</summary>
    public NodeStatus? Get(string nodeId) => _byId.GetValueOrDefault(nodeId);
}
