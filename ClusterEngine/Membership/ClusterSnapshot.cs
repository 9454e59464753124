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

    internal ClusterSnapshot(long version, NodeStatus[] nodes, int clientCount, long clock, long digest = 0, int withoutAlternate = 0)
    {
        Version = version;
        Nodes = nodes;
        ClientCount = clientCount;
        Clock = clock;
        Digest = digest;
        ClientsWithoutAlternate = withoutAlternate;
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

        return new ClusterSnapshot(version, nodes, table.ClientCount, table.Clock, table.Digest, table.WithoutAlternate.Count);
    }

    /// <summary>The view's change counter when this snapshot was taken (grows with every membership or assignment change).</summary>
    public long Version { get; }

    /// <summary>Every known node in membership order.</summary>
    public IReadOnlyList<NodeStatus> Nodes { get; }

    /// <summary>Clients with a live assignment.</summary>
    public int ClientCount { get; }

    /// <summary>Hybrid clock of the assignment table (<see cref="HybridClock"/>).</summary>
    public long Clock { get; }

    /// <summary>
    /// The assignment table's anti-entropy digest (XOR over live assignments of a hash of client id and version): two
    /// views with the same digest and <see cref="ClientCount"/> hold the same assignments.
    /// </summary>
    public long Digest { get; }

    /// <summary>Clients with a live assignment and no alternate (Fig. 5: they get one once another node is eligible).</summary>
    public int ClientsWithoutAlternate { get; }

    /// <summary>The status of <paramref name="nodeId"/>, or null when it is not a known member.</summary>
    public NodeStatus? Get(string nodeId) => _byId.GetValueOrDefault(nodeId);
}
