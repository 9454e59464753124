using ClusterEngine;
using ClusterEngine.Membership;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClusterPortal.Hosting;

/// <summary><c>/health/ready</c>: healthy while this node is Up in its own view (it has loaded its state and may serve).</summary>
internal sealed class NodeReadyHealthCheck(ClusterState state) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var self = state.GetNode(state.LocalNodeId);
        return Task.FromResult(self is { State: NodeState.Up }
            ? HealthCheckResult.Healthy($"{self.NodeId} is Up ({self.Mode})")
            : HealthCheckResult.Unhealthy($"{state.LocalNodeId} is {self?.State.ToString() ?? "unknown"}"));
    }
}
