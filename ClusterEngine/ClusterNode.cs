using ClusterEngine.Changes;
using ClusterEngine.Placement;
using ClusterEngine.Affinity;

namespace ClusterEngine;

/// <summary>
/// The local node: makes decisions on its <see cref="ClusterState"/> and hands every applied change to the
/// <see cref="ClusterChanges"/> (persistence, backplane outbox, event feed, mirror roles, sync jobs). Request
/// handlers call this; it never awaits the network or the database itself.
/// </summary>
/// <param name="state">This node's cluster view.</param>
/// <param name="changes">Where applied changes go.</param>
public sealed class ClusterNode(ClusterState state, ClusterChanges changes)
{
    /// <summary>This node's cluster view.</summary>
    public ClusterState State { get; } = state ?? throw new ArgumentNullException(nameof(state));

    /// <summary>The stream every change of this node goes through.</summary>
    public ClusterChanges Changes { get; } = changes ?? throw new ArgumentNullException(nameof(changes));

    /// <summary>This node's id.</summary>
    public string NodeId => State.LocalNodeId;

    /// <summary>Routes one request (patent Fig. 6); a failover or reassignment is published.</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="primaryMayReturn">See <see cref="ClusterState.Route"/>.</param>
    public AffinityDecision Route(string clientId, Func<string, bool>? primaryMayReturn = null)
    {
        var decision = State.Route(clientId, primaryMayReturn);
        if (decision.Change is { } change)
        {
            Publish([change], local: true);
        }

        return decision;
    }

    /// <summary>Removes clients idle for longer than <paramref name="idle"/> whose primary is this node; publishes the removals.</summary>
    public IReadOnlyList<AssignmentDelta> ExpireIdle(TimeSpan idle)
    {
        var removed = State.ExpireIdle(idle, NodeId);
        Publish(removed, local: true);
        return removed;
    }

    /// <summary>Publishes applied assignment changes; <paramref name="local"/> marks decisions of this node (broadcast).</summary>
    public void Publish(IReadOnlyList<AssignmentDelta> changes, bool local)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count > 0)
        {
            Changes.Publish(new AssignmentsChanged(changes, local));
        }
    }

    /// <summary>Publishes any other applied change.</summary>
    public void Publish(ClusterChange change) => Changes.Publish(change);
}
