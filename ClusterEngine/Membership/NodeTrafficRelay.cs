using System.Collections.Concurrent;

namespace ClusterEngine.Membership;

/// <summary>
/// Every node's item-traffic totals as this node knows them: its own from the host's counters, a peer's from its last
/// <c>Status</c> heartbeat (relayed into the heartbeat this node sends, and to the dashboard). Thread-safe.
/// </summary>
/// <param name="state">This node's view (its id).</param>
/// <param name="sources">The host's counters; none registered: this node shows no traffic.</param>
public sealed class NodeTrafficRelay(ClusterState state, IEnumerable<INodeTrafficSource> sources)
{
    private readonly INodeTrafficSource? _local = sources?.FirstOrDefault();
    private readonly ConcurrentDictionary<string, NodeTraffic> _peers = new(StringComparer.Ordinal);

    /// <summary>This node's totals now, or null without counters.</summary>
    public NodeTraffic? Local => _local?.Current;

    /// <summary>Records the totals a peer's heartbeat carried.</summary>
    public void Heard(string nodeId, NodeTraffic traffic) => _peers[nodeId] = traffic;

    /// <summary>A node's totals: this node's now, a peer's from its last heartbeat; null when not known (yet).</summary>
    public NodeTraffic? TrafficOf(string nodeId) => nodeId == state.LocalNodeId ? Local : _peers.GetValueOrDefault(nodeId);
}
