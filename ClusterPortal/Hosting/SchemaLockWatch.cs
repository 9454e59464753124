using ClusterEngine.Persistence;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Hosting;

/// <summary>
/// Keeps a PostgreSQL node's <see cref="SchemaLock"/> held for the node's life: every
/// <see cref="PersistenceOptions.LockCheckInterval"/> it checks that the lock's session still holds it and, when the session
/// is gone (a server restart, a broken connection, a terminated backend), takes the lock again. Without it a node that
/// lost its session kept writing its schema unguarded, and a second node with its id was admitted to the same rows. When
/// another session took the lock meanwhile, that is a second node on this schema: this one stops with exit code 2 (its
/// graceful leave hands its clients over) and leaves the schema to the holder; the two shared it for at most one interval.
/// docs/persistence.md, "Row ownership on PostgreSQL".
/// </summary>
internal sealed partial class SchemaLockWatch(
    IOptions<PersistenceOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<SchemaLockWatch> logger) : BackgroundService
{
    private SchemaLock? _lock;

    /// <summary>The lock to keep (NodeHost, after taking it; before the host starts). Without one the watch does nothing.</summary>
    public void Watch(SchemaLock schemaLock) => _lock = schemaLock;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_lock is not { } watched)
        {
            return;
        }

        var unreachable = false;
        using var timer = new PeriodicTimer(options.Value.LockCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var (state, detail) = await watched.CheckAsync(stoppingToken);
                switch (state)
                {
                    case SchemaLockState.Held:
                        unreachable = false;
                        break;
                    case SchemaLockState.Retaken:
                        unreachable = false;
                        LogRetaken(watched.Schema);
                        break;
                    case SchemaLockState.Unreachable when !unreachable:
                        unreachable = true; // once per outage
                        LogUnreachable(watched.Schema, detail ?? "");
                        break;
                    case SchemaLockState.Taken:
                        LogTaken(watched.Schema, detail ?? "another session");
                        Environment.ExitCode = 2;
                        lifetime.StopApplication();
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = LogEvents.SchemaLockRetaken, Level = LogLevel.Warning,
        Message = "The session holding the lock of schema \"{Schema}\" was gone (a server restart or a broken connection); a new session took the lock again")]
    private partial void LogRetaken(string schema);

    [LoggerMessage(EventId = LogEvents.SchemaLockUnreachable, Level = LogLevel.Warning,
        Message = "The session holding the lock of schema \"{Schema}\" is gone and the server cannot be reached to take it again ({Reason}); trying again every check")]
    private partial void LogUnreachable(string schema, string reason);

    [LoggerMessage(EventId = LogEvents.SchemaLockTaken, Level = LogLevel.Critical,
        Message = "Stopping: schema \"{Schema}\" was taken by {Holder} while this node's lock session was gone: a second node with this Cluster:NodeId or Persistence:Schema; this node leaves the schema to it (exit code 2)")]
    private partial void LogTaken(string schema, string holder);
}
