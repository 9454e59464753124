using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine;

/// <summary>
/// Removes idle clients (docs/architecture.md §5, <see cref="ClusterOptions.ClientIdleTimeout"/>): every
/// min(timeout / 10, 1 minute) it calls <see cref="ClusterNode.ExpireIdle"/>, which removes the clients this
/// node is primary of and publishes the removals (persisted, broadcast; their mirrors are dropped by the mirror role observer).
/// </summary>
/// <remarks>Started and stopped by the <see cref="NodeLifecycle"/>: it stops when the host starts stopping, before the
/// graceful leave, so a removal is never published to a persistence writer that has already shut down.</remarks>
internal sealed partial class IdleClientExpiry(ClusterNode node, IOptions<ClusterOptions> options, TimeProvider time, ILogger<IdleClientExpiry> logger)
    : BackgroundService
{
    /// <summary>How often to look for idle clients.</summary>
    internal static TimeSpan PeriodFor(TimeSpan timeout)
    {
        var tenth = TimeSpan.FromTicks(Math.Max(timeout.Ticks / 10, TimeSpan.TicksPerMillisecond));
        return tenth < TimeSpan.FromMinutes(1) ? tenth : TimeSpan.FromMinutes(1);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timeout = options.Value.ClientIdleTimeout;
        using var timer = new PeriodicTimer(PeriodFor(timeout), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var removed = node.ExpireIdle(timeout);
                    if (removed.Count > 0)
                    {
                        ClientsExpired(logger, removed.Count, timeout);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One failed pass must not stop the host (docs/identity.md, "Operator input"): logged, the next period tries again.
                    ExpiryFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    [LoggerMessage(EventId = LogEvents.ClientsExpired, Level = LogLevel.Information, Message = "Removed {Count} clients idle for more than {IdleTimeout}")]
    private static partial void ClientsExpired(ILogger logger, int count, TimeSpan idleTimeout);

    [LoggerMessage(EventId = LogEvents.ExpiryFailed, Level = LogLevel.Error, Message = "Looking for idle clients failed; trying again next period")]
    private static partial void ExpiryFailed(ILogger logger, Exception exception);
}
