using ClusterEngine.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Hosting;

/// <summary>
/// Keeps the node's exclusive claims for its whole life, checking them every <see cref="PersistenceOptions.LockCheckInterval"/>:
/// <list type="bullet">
/// <item>its data directory's <c>node.lock</c> (<see cref="DataDirectoryLock"/>): when the directory or the file was
/// deleted or moved under the running node, a second process could start on the directory; the watch takes a new lock
/// file at the path, or stops the node (exit code 2) when another process holds it past the grace;</item>
/// <item>with SQLite, its store file: a <c>node.db</c> deleted or moved under the node takes every later write with it at
/// the next start (SQLite goes on writing the open file); <c>/health/ready</c> says Degraded until the restart;</item>
/// <item>with PostgreSQL, its schema's <see cref="SchemaLock"/>: a session gone (a server restart, a broken connection, a
/// terminated backend) is replaced; a schema taken meanwhile by another session stops the node (exit code 2; its graceful
/// leave hands its clients over, writing nothing more to the schema: <see cref="PersistenceWriter.Relinquish"/>).</item>
/// </list>
/// A claim taken by another process is given up only after <see cref="TakenGrace"/>: the cluster refuses a duplicate of a
/// live member within seconds, which then lets go. Before the watch, a node that lost either claim ran on unguarded and a
/// second node with its id was admitted. docs/persistence.md, "Row ownership on PostgreSQL" and "Start-up checks".
/// </summary>
internal sealed partial class NodeLockWatch(
    IOptions<PersistenceOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<NodeLockWatch> logger,
    NodeDatabaseTarget? target = null,
    PersistenceWriter? writer = null) : BackgroundService
{
    /// <summary>
    /// How long a claim may stay taken by another process before this node gives it up and stops: three check intervals,
    /// at least 10 s. A second process started with a live member's node id is refused by the cluster within seconds
    /// (MembershipAgent) and lets go; without the wait, a duplicate that slipped into a lost claim's moment stopped the
    /// healthy node, and then was refused itself (found by attack: both exited 2, the node's clients handed over).
    /// </summary>
    public static TimeSpan TakenGrace(TimeSpan checkInterval) => TimeSpan.FromTicks(Math.Max(3 * checkInterval.Ticks, TimeSpan.FromSeconds(10).Ticks));

    private DataDirectoryLock? _directory;
    private SchemaLock? _schema;
    private volatile string? _problem;

    /// <summary>What is wrong with the node's store since a check found it (for <c>/health/ready</c>), or null.</summary>
    public string? Problem => _problem;

    /// <summary>The claims to keep (NodeHost, after taking them; before the host starts). Without any the watch does nothing.</summary>
    public void Watch(DataDirectoryLock directory, SchemaLock? schema)
    {
        _directory = directory;
        _schema = schema;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_directory is null && _schema is null)
        {
            return;
        }

        var store = target is { Provider: PersistenceProvider.Sqlite } sqlite ? new SqliteConnectionStringBuilder(sqlite.ConnectionString).DataSource : null;
        var grace = TakenGrace(options.Value.LockCheckInterval);
        var checkTimeout = TimeSpan.FromTicks(Math.Max(options.Value.LockCheckInterval.Ticks, TimeSpan.FromSeconds(2).Ticks)); // the lock session's answer
        var (directoryWarned, storeWarned, schemaUnreachable) = (false, false, false);
        var (directoryTaken, schemaTaken) = (new TakenClaim(grace, time), new TakenClaim(grace, time));
        using var timer = new PeriodicTimer(options.Value.LockCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                string? holder = null;
                var directoryState = _directory?.Check(out holder);
                var directoryWait = directoryTaken.Observe(directoryState == DataDirectoryLockState.Taken);
                switch (directoryState)
                {
                    case DataDirectoryLockState.Retaken:
                        LogDirectoryRetaken(_directory!.Directory);
                        break;
                    case DataDirectoryLockState.Restored:
                        LogDirectoryRestored(_directory!.Directory);
                        if (store is not null && File.Exists(store))
                        {
                            (_problem, storeWarned) = (null, false); // the store the node has open is at its path again
                        }

                        break;
                    case DataDirectoryLockState.Unwritable when !directoryWarned:
                        directoryWarned = true;
                        LogDirectoryUnwritable(_directory!.Directory, holder ?? "");
                        break;
                    case DataDirectoryLockState.Taken when directoryWait is TakenClaim.Wait.First:
                        LogClaimTakenWaiting($"the data directory {_directory!.Directory}", holder ?? "another process", grace.TotalSeconds);
                        break;
                    case DataDirectoryLockState.Taken when directoryWait is TakenClaim.Wait.Waiting:
                        break;
                    case DataDirectoryLockState.Taken:
                        LogDirectoryTaken(_directory!.Directory, holder ?? "another process");
                        GiveUp();
                        return;
                }

                if (store is not null && !storeWarned && !File.Exists(store))
                {
                    storeWarned = true;
                    _problem = $"{store} was deleted or moved while the node runs: what it writes now is lost at its next start";
                    LogStoreGone(store);
                }

                if (_schema is null)
                {
                    continue;
                }

                var (state, detail) = await _schema.CheckAsync(checkTimeout, stoppingToken);
                var schemaWait = schemaTaken.Observe(state == SchemaLockState.Taken);
                switch (state)
                {
                    case SchemaLockState.Held:
                        schemaUnreachable = false;
                        break;
                    case SchemaLockState.Retaken:
                        schemaUnreachable = false;
                        LogSchemaRetaken(_schema.Schema);
                        break;
                    case SchemaLockState.Unreachable when !schemaUnreachable:
                        schemaUnreachable = true; // once per outage
                        LogSchemaUnreachable(_schema.Schema, detail ?? "");
                        break;
                    case SchemaLockState.Lingering:
                        LogSchemaLingering(_schema.Schema, detail ?? "");
                        break;
                    case SchemaLockState.Taken when schemaWait is TakenClaim.Wait.First:
                        LogClaimTakenWaiting($"schema \"{_schema.Schema}\"", detail ?? "another session", grace.TotalSeconds);
                        break;
                    case SchemaLockState.Taken when schemaWait is TakenClaim.Wait.Waiting:
                        break;
                    case SchemaLockState.Taken:
                        LogSchemaTaken(_schema.Schema, detail ?? "another session");
                        GiveUp();
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One claim seen taken by another process over consecutive checks: the first sighting, the grace, then giving up.</summary>
    internal sealed class TakenClaim(TimeSpan grace, TimeProvider time)
    {
        private long? _since;

        /// <summary>What a check that found the claim taken (or not) means.</summary>
        public enum Wait
        {
            /// <summary>Not taken (any earlier sighting is forgotten).</summary>
            None,

            /// <summary>Taken, first seen now: the grace begins.</summary>
            First,

            /// <summary>Taken, within the grace.</summary>
            Waiting,

            /// <summary>Taken for the whole grace: give it up.</summary>
            Over,
        }

        /// <summary>Records one check's finding.</summary>
        public Wait Observe(bool taken)
        {
            if (!taken)
            {
                _since = null;
                return Wait.None;
            }

            if (_since is not { } since)
            {
                _since = time.GetTimestamp();
                return grace <= TimeSpan.Zero ? Wait.Over : Wait.First;
            }

            return time.GetElapsedTime(since) < grace ? Wait.Waiting : Wait.Over;
        }
    }

    /// <summary>Another process owns this node's store now: write nothing more to it (the leave included), and stop with exit code 2.</summary>
    private void GiveUp()
    {
        writer?.Relinquish();
        Environment.ExitCode = 2;
        lifetime.StopApplication();
    }

    [LoggerMessage(EventId = LogEvents.SchemaLockRetaken, Level = LogLevel.Warning,
        Message = "The session holding the lock of schema \"{Schema}\" was gone (a server restart or a broken connection); a new session took the lock again")]
    private partial void LogSchemaRetaken(string schema);

    [LoggerMessage(EventId = LogEvents.SchemaLockUnreachable, Level = LogLevel.Warning,
        Message = "The session holding the lock of schema \"{Schema}\" is gone and the server cannot be reached to take it again ({Reason}); trying again every check")]
    private partial void LogSchemaUnreachable(string schema, string reason);

    [LoggerMessage(EventId = LogEvents.SchemaLockTaken, Level = LogLevel.Critical,
        Message = "Stopping: schema \"{Schema}\" was taken by {Holder} while this node's lock session was gone: a second node with this Cluster:NodeId or Persistence:Schema; this node leaves the schema to it (exit code 2)")]
    private partial void LogSchemaTaken(string schema, string holder);

    [LoggerMessage(EventId = LogEvents.SchemaLockLingering, Level = LogLevel.Warning,
        Message = "The lock of schema \"{Schema}\" is still held by this node's own earlier session ({Session}), which stopped answering; a new session takes it at the next check")]
    private partial void LogSchemaLingering(string schema, string session);

    [LoggerMessage(EventId = LogEvents.ClaimTakenWaiting, Level = LogLevel.Warning,
        Message = "{Claim} was taken by {Holder} while this node's claim was lost; waiting up to {Seconds} s for it to let go (the cluster refuses a second process with a live member's id) before this node stops")]
    private partial void LogClaimTakenWaiting(string claim, string holder, double seconds);

    [LoggerMessage(EventId = LogEvents.DataDirectoryRetaken, Level = LogLevel.Critical,
        Message = "The lock file of the data directory {Directory} was deleted or moved (with the directory, or alone) while the node runs; a new node.lock there keeps a second process out")]
    private partial void LogDirectoryRetaken(string directory);

    [LoggerMessage(EventId = LogEvents.DataDirectoryRestored, Level = LogLevel.Warning,
        Message = "The data directory {Directory} is back: the lock file this node took is at its path again")]
    private partial void LogDirectoryRestored(string directory);

    [LoggerMessage(EventId = LogEvents.DataDirectoryUnwritable, Level = LogLevel.Critical,
        Message = "The data directory {Directory} was deleted or moved while the node runs and cannot be made again ({Reason}): a second process could start on it")]
    private partial void LogDirectoryUnwritable(string directory, string reason);

    [LoggerMessage(EventId = LogEvents.DataDirectoryTaken, Level = LogLevel.Critical,
        Message = "Stopping: the data directory {Directory} was deleted or moved while the node ran and {Holder} has taken it: a second process with this directory; this node leaves it to it (exit code 2)")]
    private partial void LogDirectoryTaken(string directory, string holder);

    [LoggerMessage(EventId = LogEvents.StoreFileGone, Level = LogLevel.Critical,
        Message = "The node database {Path} was deleted or moved while the node runs: what the node writes now is lost at its next start; /health/ready says Degraded until the node restarts")]
    private partial void LogStoreGone(string path);
}
