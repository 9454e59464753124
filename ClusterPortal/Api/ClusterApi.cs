using ClusterEngine;
using ClusterEngine.Membership;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClusterPortal.Api;

/// <summary>One node in <c>GET /api/cluster</c> and <c>GET /api/nodes</c> (docs/architecture.md §6); <c>zone</c> is its <c>Cluster:Zone</c> (empty for none).</summary>
public sealed record NodeView(string NodeId, string Url, string Name, NodeState State, NodeMode Mode, int Capacity,
    int PrimaryCount, int AlternateCount, double LoadRatio, int InFlight, long Incarnation, string Zone);

/// <summary>Cluster-wide totals in <c>GET /api/cluster</c>; capacity and primary count are 64-bit sums (docs/identity.md, "Operator input": a sum of
/// per-node values never overflows, whatever the operator set).</summary>
public sealed record ClusterTotals(int Nodes, int NodesUp, int Clients, long Capacity, long PrimaryCount);

/// <summary>Answer of <c>GET /api/cluster</c>; <c>serving</c>: this node may serve clients as primary right now (Up, caught up,
/// and its side of any partition has the quorum — docs/network.md "Partitions").</summary>
public sealed record ClusterView(string SeenBy, IReadOnlyList<NodeView> Nodes, ClusterTotals Totals, bool Serving);

/// <summary><c>GET /api/cluster</c> and <c>GET /api/nodes</c>: the cluster as this node sees it.</summary>
internal static class ClusterApi
{
    public static RouteGroupBuilder MapClusterViewApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api").WithTags("Cluster").RequireAuthorization(AuthSchemes.ViewerPolicy);
        group.ProducesProblems(ErrorResponses.Viewer);
        group.MapGet("/cluster", GetCluster).WithName("GetCluster").WithSummary("Every node's state, mode, capacity, counts and load ratio, as this node sees them.");
        group.MapGet("/nodes", GetNodes).WithName("GetNodes").WithSummary("The members in membership order.");
        return group;
    }

    internal static Ok<ClusterView> GetCluster(ClusterState state, LocalNodeStatus self)
    {
        var nodes = GetNodes(state).Value!;
        var totals = new ClusterTotals(nodes.Count, nodes.Count(n => n.State == NodeState.Up), state.ClientCount,
            nodes.Sum(n => (long)n.Capacity), nodes.Sum(n => (long)n.PrimaryCount));
        return TypedResults.Ok(new ClusterView(state.LocalNodeId, nodes, totals, self.CanServe));
    }

    internal static Ok<IReadOnlyList<NodeView>> GetNodes(ClusterState state) =>
        TypedResults.Ok<IReadOnlyList<NodeView>>([.. state.Nodes.Select(n => new NodeView(n.NodeId, n.Url, n.Name, n.State, n.Mode,
            n.Capacity, n.PrimaryCount, n.AlternateCount, Math.Round(n.LoadRatio, 4), n.InFlight, n.Incarnation, n.Zone))]);
}
