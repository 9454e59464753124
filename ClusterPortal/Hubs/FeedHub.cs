using ClusterEngine;
using ClusterEngine.Events;
using ClusterEngine.Membership;
using ClusterPortal.Api;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>
/// <c>/hubs/feed</c>: the node's live event stream and cluster status for outside subscribers (the
/// <c>@microsoft/signalr</c> JS client, scripts). Server → client: <c>event</c> (<see cref="ClusterEvent"/>)
/// for every event, <c>status</c> (the <c>GET /api/cluster</c> body) once per second. Viewing rights
/// follow <c>Portal:AnonymousView</c>. The dashboard pages read the same stream in-process.
/// </summary>
internal sealed class FeedHub(ClusterEventFeed feed, ClusterState state, LocalNodeStatus self) : Hub
{
    /// <summary>Client method that receives events.</summary>
    public const string EventMethod = "event";

    /// <summary>Client method that receives the cluster status.</summary>
    public const string StatusMethod = "status";

    /// <summary>The last <paramref name="max"/> events (at most 1000), oldest first: what happened before the subscriber connected.</summary>
    public IReadOnlyList<ClusterEvent> Recent(int max = 100) => feed.Recent(Math.Clamp(max, 0, ClusterEventFeed.RetainedCount));

    /// <summary>The cluster as this node sees it now (same body as <c>GET /api/cluster</c>).</summary>
    public ClusterView Status() => ClusterApi.GetCluster(state, self).Value!;
}
