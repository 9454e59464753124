using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Persistence;

/// <summary>
/// Stores clients' last-seen times (docs/architecture.md §5, "Idle clients"): every idle-expiry period
/// (<see cref="IdleClientExpiry.PeriodFor"/>) it queues the times that entered a new store step
/// (<see cref="ClusterState.TakeSeenToStore"/>, a twentieth of <c>Cluster:ClientIdleTimeout</c>) on the
/// <see cref="PersistenceWriter"/>, which moves each live row's <c>LastSeenUtc</c> forward. A restart restores them
/// (<see cref="ClusterState.RestoreSeen"/>): a restart is no longer a sighting of every client.
/// </summary>
/// <remarks>The <see cref="NodeLifecycle"/> starts it with the idle expiry and, at stop, queues what is left before the
/// writer drains.</remarks>
/// <param name="state">This node's view (the queued times).</param>
/// <param name="writer">The persistence writer.</param>
/// <param name="options"><c>Cluster:ClientIdleTimeout</c> (the period).</param>
/// <param name="time">The clock of the period.</param>
/// <param name="logger">A failed pass.</param>
internal sealed partial class ClientSeenStore(ClusterState state, PersistenceWriter writer, IOptions<ClusterOptions> options, TimeProvider time,
    ILogger<ClientSeenStore> logger) : BackgroundService
{
    /// <summary>Queues the times that moved a store step; a failure (the writer stopped) is logged, not thrown.</summary>
    /// <returns>How many times were queued.</returns>
    public int Flush()
    {
        var seen = state.TakeSeenToStore();
        try
        {
            foreach (var entry in seen)
            {
                writer.Enqueue(entry);
            }

            return seen.Count;
        }
        catch (InvalidOperationException ex)
        {
            LogStoreFailed(logger, seen.Count, ex);
            return 0;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(IdleClientExpiry.PeriodFor(options.Value.ClientIdleTimeout), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Flush();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping: the lifecycle queues what is left.
        }
    }

    [LoggerMessage(EventId = LogEvents.SeenStoreFailed, Level = LogLevel.Warning,
        Message = "Storing {Count} clients' last-seen times failed; after a restart they count from older times")]
    private static partial void LogStoreFailed(ILogger logger, int count, Exception exception);
}
