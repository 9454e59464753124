using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>
/// The peers' open connections to this node's <see cref="BackplaneHub"/>. On shutdown they are closed
/// after the graceful leave, so the server does not wait for long-lived WebSockets to end on their own.
/// Stops after the backplane (registered before it).
/// </summary>
internal sealed class BackplaneConnections : IHostedService
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new(StringComparer.Ordinal);

    public void Opened(HubCallerContext context) => _open[context.ConnectionId] = context;

    public void Closed(HubCallerContext context) => _open.TryRemove(context.ConnectionId, out _);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var context in _open.Values)
        {
            context.Abort();
        }

        return Task.CompletedTask;
    }
}
