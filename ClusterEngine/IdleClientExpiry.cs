using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine;

/// <summary>
/// Removes idle clients (docs/architecture.md §5, <see cref="ClusterOptions.ClientIdleTimeout"/>): every
/// min(timeout / 10, 1 minute) it calls <see cref="ClusterNode.ExpireIdle"/>, which removes the clients this
/// node is primary of and publishes the removals (persisted, broadcast; their mirrors are dropped by the mirror role observer).
/// </summary>
/// <remarks>
/// A pass runs only while this node may decide (<see cref="MayExpire"/>): Up and caught up, with a fresh quorum, not
/// removed, not leaving. A node cut off on a minority side sees none of its clients' requests (the majority serves them
/// from their alternates) and kept its own view of being their primary; expiring them there made removals whose newer
/// versions won over the majority's failovers when the partition healed — every such client, active or not, removed
/// cluster-wide. The same for a node that restarted after a long absence, before its catch-up.
/// Started and stopped by the <see cref="NodeLifecycle"/>: it stops when the host starts stopping, before the
/// graceful leave, so a removal is never published to a persistence writer that has already shut down.</remarks>
/// <param name="node">The view and its change stream.</param>
/// <param name="options"><c>Cluster:ClientIdleTimeout</c>.</param>
/// <param name="time">The clock of the period.</param>
/// <param name="logger">Removals and failed passes.</param>
/// <param name="self">This node's standing; null without a backplane (a node alone always decides).</param>
internal sealed partial class IdleClientExpiry(ClusterNode node, IOptions<ClusterOptions> options, TimeProvider time, ILogger<IdleClientExpiry> logger,
    Membership.LocalNodeStatus? self = null)
    : BackgroundService
{
    /// <summary>Whether a node of standing <paramref name="self"/> may remove idle clients now (see the remarks).</summary>
    internal static bool MayExpire(Membership.LocalNodeStatus? self) =>
        self is null || (self.CanServe && self.MayDecide && !self.IsHandingOver);

    /// <summary>One pass: the removals, or none when this node may not decide now (<see cref="MayExpire"/>).</summary>
    internal IReadOnlyList<Placement.AssignmentDelta> Pass() => MayExpire(self) ? node.ExpireIdle(options.Value.ClientIdleTimeout) : [];

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
                    var removed = Pass();
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
