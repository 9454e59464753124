using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Hubs;

/// <summary>
/// The peers' open connections to this node's <see cref="BackplaneHub"/>. On shutdown they are closed
/// after the graceful leave, so the server does not wait for long-lived WebSockets to end on their own.
/// Stops after the backplane (registered before it).
/// </summary>
internal sealed class BackplaneConnections : IHostedLifecycleService
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new(StringComparer.Ordinal);

    public void Opened(HubCallerContext context) => _open[context.ConnectionId] = context;

    public void Closed(HubCallerContext context) => _open.TryRemove(context.ConnectionId, out _);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs after the backplane's graceful leave (its StoppingAsync; lifecycle services stop in reverse
    /// registration order) and before the web server stops, which would otherwise wait its whole
    /// ShutdownTimeout for these long-lived WebSockets.
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => StopAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var context in _open.Values)
        {
            context.Abort();
        }

        return Task.CompletedTask;
    }
}
