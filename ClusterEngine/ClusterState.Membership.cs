using ClusterEngine.Membership;

namespace ClusterEngine;

public sealed partial class ClusterState
{
    /// <summary>Adds a node or updates its static facts (patent Fig. 11, step 1120). Moves no client.</summary>
    /// <exception cref="ArgumentException">Capacity is not positive or the id is empty.</exception>
    public void AddOrUpdateNode(NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentException.ThrowIfNullOrEmpty(node.NodeId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(node.Capacity);
        lock (_gate)
        {
            _view.Upsert(node);
        }
    }

    /// <summary>Sets a node's liveness state. Returns false for an unknown node.</summary>
    public bool SetState(string nodeId, NodeState state) => Change(nodeId, m => m.State = state);

    /// <summary>Sets a node's mode (Active / Maintenance). Moves no client by itself. Returns false for an unknown node.</summary>
    public bool SetMode(string nodeId, NodeMode mode) => Change(nodeId, m => m.Mode = mode);

    /// <summary>
    /// Sets a node's capacity (clients, &gt; 0). A cut below the primary count stops its admissions
    /// and moves nobody (docs/architecture.md §4). Returns false for an unknown node.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Capacity is not positive.</exception>
    public bool SetCapacity(string nodeId, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        return Change(nodeId, m => _view.SetCapacity(m, capacity));
    }

    /// <summary>Records a node's in-flight request count (from its heartbeat, or the local counter) for the busy rule of Fig. 6, step 640.</summary>
    public bool ReportInFlight(string nodeId, int inFlight) => Change(nodeId, m => m.InFlight = inFlight, reorder: false);

    /// <summary>Applies a peer's status message when it is newer (incarnation, then sequence) than the last one applied.</summary>
    /// <returns>True when applied.</returns>
    public bool ApplyStatus(string nodeId, long incarnation, long sequence, int inFlight, int maxConcurrentRequests)
    {
        lock (_gate)
        {
            return _view.ApplyStatus(nodeId, incarnation, sequence, inFlight, maxConcurrentRequests);
        }
    }

    /// <summary>Every known node in membership order, with counts from the assignment table (from <see cref="Snapshot"/>, no lock).</summary>
    public IReadOnlyList<NodeStatus> Nodes => Snapshot.Nodes;

    /// <summary>The status of one node, or null when unknown (from <see cref="Snapshot"/>, no lock).</summary>
    public NodeStatus? GetNode(string nodeId) => Snapshot.Get(nodeId);

    /// <summary>
    /// The current immutable picture of the view (members, states, counts). Lock-free while nothing changed since the
    /// last one; after a change the first reader rebuilds it once under the lock (O(members), never O(clients)).
    /// </summary>
    public ClusterSnapshot Snapshot => _read.Snapshot;

    private bool Change(string nodeId, Action<Member> change, bool reorder = true)
    {
        lock (_gate)
        {
            return _view.Update(nodeId, change, reorder);
        }
    }
}
