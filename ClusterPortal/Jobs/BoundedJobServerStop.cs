namespace ClusterPortal.Jobs;

/// <summary>
/// Hangfire's server as a hosted service whose stop waits at most <see cref="JobsServiceCollectionExtensions.StopBudget"/>.
/// </summary>
/// <remarks>
/// Hangfire's own stop is not bounded by its options: after its shutdown timeout it still joins its heartbeat thread and
/// removes its server record, and with the SQLite storage each of those calls can wait for the database lock (10 s busy
/// timeout, retried twice). With four in-process nodes stopping at once on two busy cores it once took more than the
/// host's whole shutdown timeout, which then failed the stop (a CI run) and would have left the persistence writer's
/// drain, which stops after it, no time at all. Past the budget the node stops waiting: a job cut short runs again from
/// its queue after the restart (its state is in Hangfire's storage), and the server record left behind expires on the
/// other servers' watchdog. docs/recovery.md, "Graceful leave and the full restart".
/// </remarks>
internal sealed partial class BoundedJobServerStop(IHostedService server, TimeSpan budget, TimeProvider time, ILogger<BoundedJobServerStop> logger)
    : IHostedService, IDisposable
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await server.StopAsync(cancellationToken).WaitAsync(budget, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogStopOverran(budget.TotalSeconds);
        }
    }

    public void Dispose() => (server as IDisposable)?.Dispose();

    [LoggerMessage(EventId = LogEvents.JobServerStopOverran, Level = LogLevel.Warning, Message = "The Hangfire server did not stop within {Seconds} s; the node stops without waiting longer (an interrupted job runs again after the restart)")]
    private partial void LogStopOverran(double seconds);
}
