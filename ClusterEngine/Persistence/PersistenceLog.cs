using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>Log messages of the persistence shell (event ids 3100–3199).</summary>
internal static partial class PersistenceLog
{
    [LoggerMessage(EventId = LogEvents.DatabaseOpened, Level = LogLevel.Information,
        Message = "Node database ({Provider}) {Path} opened ({PendingMigrations} pending migrations applied, journal mode {JournalMode})")]
    public static partial void DatabaseOpened(ILogger logger, PersistenceProvider provider, string path, int pendingMigrations, string journalMode);

    [LoggerMessage(EventId = LogEvents.BatchWritten, Level = LogLevel.Debug,
        Message = "Wrote {Changes} changes as {Rows} row operations in {ElapsedMs} ms")]
    public static partial void BatchWritten(ILogger logger, int changes, int rows, double elapsedMs);

    [LoggerMessage(EventId = LogEvents.WriteFailed, Level = LogLevel.Warning,
        Message = "Writing a batch of {Changes} changes failed; retrying in {RetryDelayMs} ms")]
    public static partial void WriteFailed(ILogger logger, Exception exception, int changes, double retryDelayMs);

    [LoggerMessage(EventId = LogEvents.BatchAbandoned, Level = LogLevel.Error,
        Message = "The writer was stopped before a batch of {Changes} changes could be written; they are lost")]
    public static partial void BatchAbandoned(ILogger logger, Exception exception, int changes);

    [LoggerMessage(EventId = LogEvents.StoreRelinquished, Level = LogLevel.Warning,
        Message = "The store is given up to the process that owns it now: nothing more is written to it by this node")]
    public static partial void Relinquished(ILogger logger);

    [LoggerMessage(EventId = LogEvents.QueueFull, Level = LogLevel.Warning,
        Message = "More than {Capacity} changes (Persistence:QueueCapacity) wait behind the database writer; they are kept (the last write per key) and written when it catches up")]
    public static partial void QueueFull(ILogger logger, int capacity);

    [LoggerMessage(EventId = LogEvents.Drained, Level = LogLevel.Information, Message = "Persistence writer stopped; queue drained")]
    public static partial void Drained(ILogger logger);

    [LoggerMessage(EventId = LogEvents.SnapshotLoaded, Level = LogLevel.Information,
        Message = "Loaded {Members} members, {Assignments} assignments and {Mirrors} mirrors ({MirrorEntries} entries) in {ElapsedMs} ms")]
    public static partial void SnapshotLoaded(ILogger logger, int members, int assignments, int mirrors, int mirrorEntries, double elapsedMs);

    [LoggerMessage(EventId = LogEvents.StoredMirrorDamaged, Level = LogLevel.Warning,
        Message = "The stored mirror of client {ClientId} is damaged ({Problem}); it is not restored (the client's next requests get whole items)")]
    public static partial void StoredMirrorDamaged(ILogger logger, string clientId, string problem);

    [LoggerMessage(EventId = LogEvents.StoreKeyChanged, Level = LogLevel.Information,
        Message = "The store {Path} now records this node's Cluster:Key beside the recorded keys it still uses or accepts (a key change)")]
    public static partial void StoreKeyChanged(ILogger logger, string path);

    [LoggerMessage(EventId = LogEvents.SchemaCreated, Level = LogLevel.Information, Message = "Created the PostgreSQL schema \"{Schema}\" for this node")]
    public static partial void SchemaCreated(ILogger logger, string schema);

    [LoggerMessage(EventId = LogEvents.DatabaseUnavailable, Level = LogLevel.Error,
        Message = "Node database {Path} unavailable: writes that must persist answer 503; {Changes} changes are held in memory and written when it returns (next try in {RetryDelayMs} ms)")]
    public static partial void DatabaseUnavailable(ILogger logger, Exception exception, string path, int changes, double retryDelayMs);

    [LoggerMessage(EventId = LogEvents.DatabaseRestored, Level = LogLevel.Information,
        Message = "Node database available again after {OutageMs} ms; {Changes} changes held in memory were written")]
    public static partial void DatabaseRestored(ILogger logger, double outageMs, int changes);

    [LoggerMessage(EventId = LogEvents.SessionCloseFailed, Level = LogLevel.Debug,
        Message = "Closing the writer's database connection after a failure failed too; the next commit opens a new one")]
    public static partial void SessionCloseFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = LogEvents.StoredMemberFixed, Level = LogLevel.Warning, Message = "A stored member record was out of bounds: {Problem}")]
    public static partial void StoredMemberFixed(ILogger logger, string problem);

    [LoggerMessage(EventId = LogEvents.StateRestored, Level = LogLevel.Information,
        Message = "Restored {Assignments} stored assignments in {AssignmentsMs} ms and {Mirrors} clients' mirrors in {MirrorsMs} ms")]
    public static partial void StateRestored(ILogger logger, int assignments, double assignmentsMs, int mirrors, double mirrorsMs);
}
