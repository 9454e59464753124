using ClusterEngine;
using ClusterEngine.Changes;
using ClusterEngine.Events;
using ClusterEngine.Membership;
using ClusterPortal.Api;
using ClusterPortal.Dashboard;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>Pushes every <see cref="ClusterEventFeed"/> event and each dashboard sample's status to <see cref="FeedHub"/> subscribers.</summary>
internal sealed partial class FeedBroadcaster(ClusterEventFeed feed, ClusterChanges changes, ClusterState state, LocalNodeStatus self,
    IHubContext<FeedHub> hub, ILogger<FeedBroadcaster> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var samples = changes.Subscribe(OnChange);
        {
            await foreach (var e in feed.SubscribeAsync(stoppingToken))
            {
                try
                {
                    await hub.Clients.All.SendAsync(FeedHub.EventMethod, e, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSendFailed(ex.Message);
                }
            }
        }
    }

    private void OnChange(ClusterChange change)
    {
        if (change is DashboardSampled)
        {
            _ = hub.Clients.All.SendAsync(FeedHub.StatusMethod, ClusterApi.GetCluster(state, self).Value);
        }
    }

    [LoggerMessage(EventId = LogEvents.SendFailed, Level = LogLevel.Debug, Message = "Feed hub send failed: {Reason}")]
    private partial void LogSendFailed(string reason);
}
