using ClusterEngine;
using ClusterEngine.Membership;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClusterPortal.Hosting;

/// <summary>
/// <c>/health/ready</c>: healthy while this node is Up in its own view and may serve (it has loaded its state and caught
/// up; with a backplane also: its side of any partition has the quorum, it was not removed, and its health monitor is not
/// overdue — a node just thawed from a freeze is not ready before it notices). See docs/recovery.md.
/// </summary>
internal sealed class NodeReadyHealthCheck(ClusterState state, LocalNodeStatus? self = null) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var node = state.GetNode(state.LocalNodeId);
        if (node is not { State: NodeState.Up })
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"{state.LocalNodeId} is {node?.State.ToString() ?? "unknown"}"));
        }

        return Task.FromResult(self is null || self.CanServe
            ? HealthCheckResult.Healthy($"{node.NodeId} is Up ({node.Mode})")
            : HealthCheckResult.Unhealthy($"{node.NodeId} is Up but may not serve now (no quorum, or catching up after a pause)"));
    }
}
