using ClusterEngine.Placement;
using ClusterEngine.Routing;

namespace ClusterEngine;

/// <summary>
/// The local node: makes decisions on its <see cref="ClusterState"/> and hands every change to the
/// registered <see cref="IClusterChangeSink"/>s (persistence, backplane, event feed). Request
/// handlers call this; it never awaits the network or the database itself.
/// </summary>
public sealed class ClusterNode
{
    private readonly Lazy<IClusterChangeSink[]> _sinks;

    /// <summary>Creates the node over <paramref name="state"/>; sinks are resolved on first use (they may depend on this node).</summary>
    public ClusterNode(ClusterState state, IServiceProvider services)
        : this(state, () => [.. (IEnumerable<IClusterChangeSink>)(services.GetService(typeof(IEnumerable<IClusterChangeSink>)) ?? Array.Empty<IClusterChangeSink>())])
    {
    }

    /// <summary>Creates the node over <paramref name="state"/> with a fixed set of sinks (tests, tools).</summary>
    public ClusterNode(ClusterState state, Func<IClusterChangeSink[]> sinks)
    {
        State = state;
        _sinks = new Lazy<IClusterChangeSink[]>(sinks);
    }

    /// <summary>This node's cluster view.</summary>
    public ClusterState State { get; }

    /// <summary>This node's id.</summary>
    public string NodeId => State.LocalNodeId;

    /// <summary>Routes one request (patent Fig. 6); a failover or reassignment is published.</summary>
    public RoutingDecision Route(string clientId)
    {
        var decision = State.Route(clientId);
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

    /// <summary>Hands changes to every sink; <paramref name="local"/> marks decisions of this node.</summary>
    public void Publish(IReadOnlyList<AssignmentDelta> changes, bool local)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return;
        }

        foreach (var sink in _sinks.Value)
        {
            sink.OnAssignmentsChanged(changes, local);
        }
    }
}
