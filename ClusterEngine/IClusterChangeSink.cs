using ClusterEngine.Placement;

namespace ClusterEngine;

/// <summary>
/// Receives every assignment change this node decides or merges, after it is in the in-memory view:
/// the persistence writer stores it, the backplane broadcasts the local ones, the event feed shows
/// them. Called on the request path: implementations must not block (enqueue and return).
/// </summary>
public interface IClusterChangeSink
{
    /// <summary>Handles applied changes.</summary>
    /// <param name="changes">The deltas, already applied to <see cref="ClusterState"/>.</param>
    /// <param name="local">True when this node decided them (to broadcast); false when merged from peers or storage.</param>
    void OnAssignmentsChanged(IReadOnlyList<AssignmentDelta> changes, bool local);
}
