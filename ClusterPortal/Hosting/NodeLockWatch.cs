using ClusterEngine.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Hosting;

/// <summary>
/// Keeps the node's exclusive claims for its whole life, checking them every <see cref="PersistenceOptions.LockCheckInterval"/>:
/// <list type="bullet">
/// <item>its data directory's <c>node.lock</c> (<see cref="DataDirectoryLock"/>): when the directory or the file was
/// deleted or moved under the running node, a second process could start on the directory; the watch takes a new lock
/// file at the path, or stops the node (exit code 2) when another process already holds it;</item>
/// <item>with SQLite, its store file: a <c>node.db</c> deleted or moved under the node takes every later write with it at
/// the next start (SQLite goes on writing the open file); <c>/health/ready</c> says Degraded until the restart;</item>
/// <item>with PostgreSQL, its schema's <see cref="SchemaLock"/>: a session gone (a server restart, a broken connection, a
/// terminated backend) is replaced; a schema taken meanwhile by another session stops the node (exit code 2; its graceful
/// leave hands its clients over), the two having shared it for at most one interval.</item>
/// </list>
/// Before it, a node that lost either claim ran on unguarded and a second node with its id was admitted. Each critical
/// finding is logged once. docs/persistence.md, "Row ownership on PostgreSQL" and "Start-up checks".
/// </summary>
internal sealed partial class NodeLockWatch(
    IOptions<PersistenceOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<NodeLockWatch> logger,
    NodeDatabaseTarget? target = null) : BackgroundService
{
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
        var (directoryWarned, storeWarned, schemaUnreachable) = (false, false, false);
        using var timer = new PeriodicTimer(options.Value.LockCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                string? holder = null;
                switch (_directory?.Check(out holder))
                {
                    case DataDirectoryLockState.Retaken:
                        LogDirectoryRetaken(_directory.Directory);
                        break;
                    case DataDirectoryLockState.Unwritable when !directoryWarned:
                        directoryWarned = true;
                        LogDirectoryUnwritable(_directory.Directory, holder ?? "");
                        break;
                    case DataDirectoryLockState.Taken:
                        LogDirectoryTaken(_directory.Directory, holder ?? "another process");
                        Stop();
                        return;
                }

                if (store is not null && !storeWarned && !File.Exists(store))
                {
                    storeWarned = true;
                    _problem = $"{store} was deleted or moved while the node runs: what it writes now is lost at its next start";
                    LogStoreGone(store);
                }

                if (_schema is not null)
                {
                    var (state, detail) = await _schema.CheckAsync(stoppingToken);
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
                        case SchemaLockState.Taken:
                            LogSchemaTaken(_schema.Schema, detail ?? "another session");
                            Stop();
                            return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Stop()
    {
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

    [LoggerMessage(EventId = LogEvents.DataDirectoryRetaken, Level = LogLevel.Critical,
        Message = "The data directory {Directory} was deleted or moved while the node runs; a new node.lock there keeps a second process out. The node serves from memory; restore the directory or restart the node")]
    private partial void LogDirectoryRetaken(string directory);

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
