using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ClusterEngine.Persistence;

/// <summary>
/// Writes one coalesced <see cref="WriteBatch"/>, synchronously (Microsoft.Data.Sqlite does its I/O synchronously anyway;
/// the writer runs on its own thread), in order, in transactions of at most <see cref="Statements.MaxTransaction"/>
/// statements: a batch that grew large while the database was slow or away (see <see cref="PersistenceWriter"/>) is not
/// one huge transaction. A boundary never reorders statements, so a crash between two of them leaves a prefix of the batch
/// written, as a crash between two batches does; and a batch retried after a failure writes the same end state again
/// (every statement sets a row to a value; assignments only move forward by version). One SQL dialect serves both providers: the upserts use
/// <c>INSERT … ON CONFLICT … DO UPDATE … WHERE</c> (SQLite ≥ 3.24 and PostgreSQL ≥ 9.5), names are quoted and
/// unqualified (on PostgreSQL they resolve through the node schema's <c>search_path</c>), and an assignment row is
/// replaced only by a newer version (counter, then node id in ordinal order: SQLite's <c>BINARY</c> collation, the
/// <c>"C"</c> collation of <see cref="PostgreSqlNodeDbContext"/>'s text columns). What differs is only how statements
/// travel: batched round trips on PostgreSQL, reused commands on SQLite.
/// </summary>
internal static class BatchSql
{
    private const string UpsertMember = """
        INSERT INTO "Members" ("NodeId", "Url", "Name", "Capacity", "Order", "Mode", "Removed", "Version", "VersionNodeId", "Zone")
        VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)
        ON CONFLICT ("NodeId") DO UPDATE SET "Url" = excluded."Url", "Name" = excluded."Name", "Capacity" = excluded."Capacity",
          "Order" = excluded."Order", "Mode" = excluded."Mode", "Removed" = excluded."Removed",
          "Version" = excluded."Version", "VersionNodeId" = excluded."VersionNodeId", "Zone" = excluded."Zone"
        WHERE excluded."Version" > "Members"."Version"
           OR (excluded."Version" = "Members"."Version" AND excluded."VersionNodeId" >= "Members"."VersionNodeId")
        """;

    // LastSeenUtc: set when the row is created or a removed id is placed anew (a registration is a sighting); a change of
    // a live assignment (a failover, a new alternate) keeps it, as the in-memory table does, and UpdateSeen moves it.
    private const string UpsertAssignment = """
        INSERT INTO "Assignments" ("ClientId", "Primary", "Alternate", "VersionCounter", "VersionNodeId", "Bounces", "Reason", "LastSeenUtc", "Registration")
        VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8)
        ON CONFLICT ("ClientId") DO UPDATE SET "Primary" = excluded."Primary", "Alternate" = excluded."Alternate",
          "VersionCounter" = excluded."VersionCounter", "VersionNodeId" = excluded."VersionNodeId", "Bounces" = excluded."Bounces",
          "Reason" = excluded."Reason", "Registration" = excluded."Registration",
          "LastSeenUtc" = CASE WHEN "Assignments"."Primary" IS NULL THEN excluded."LastSeenUtc" ELSE "Assignments"."LastSeenUtc" END
        WHERE excluded."VersionCounter" > "Assignments"."VersionCounter"
           OR (excluded."VersionCounter" = "Assignments"."VersionCounter" AND excluded."VersionNodeId" > "Assignments"."VersionNodeId")
        """;

    // Only forward, and only a live row: a removal (its tombstone row) is not undone by a late time.
    private const string UpdateSeen = """
        UPDATE "Assignments" SET "LastSeenUtc" = @p1 WHERE "ClientId" = @p0 AND "LastSeenUtc" < @p1 AND "Primary" IS NOT NULL
        """;

    private const string DeleteMirror = """DELETE FROM "Mirrors" WHERE "ClientId" = @p0""";

    private const string UpsertMirror = """
        INSERT INTO "Mirrors" ("ClientId", "Sequence", "Entries") VALUES (@p0, @p1, @p2)
        ON CONFLICT ("ClientId") DO UPDATE SET "Sequence" = excluded."Sequence", "Entries" = excluded."Entries"
        """;

    private const string UpsertRetryTag = """
        INSERT INTO "RetryTags" ("ClientId", "Tag", "ClaimId", "GrantedAtUtc", "UntilUtc", "Registration") VALUES (@p0, @p1, @p2, @p3, @p4, @p5)
        ON CONFLICT ("ClientId") DO UPDATE SET "Tag" = excluded."Tag", "ClaimId" = excluded."ClaimId", "GrantedAtUtc" = excluded."GrantedAtUtc",
          "UntilUtc" = excluded."UntilUtc", "Registration" = excluded."Registration"
        """;

    private const string DeleteRetryTag = """DELETE FROM "RetryTags" WHERE "ClientId" = @p0""";

    /// <summary>Writes <paramref name="batch"/> through <paramref name="session"/>; returns the number of row operations issued.</summary>
    /// <param name="session">The writer's open connection (and, on SQLite, its prepared statements).</param>
    /// <param name="batch">The coalesced changes.</param>
    /// <param name="now">Stored as <c>LastSeenUtc</c> of the assignment rows created (or placed anew over a removal); the
    /// batch's last-seen times then move it forward (<see cref="WriteBatch.Seen"/>).</param>
    public static int Write(WriterSession session, WriteBatch batch, DateTimeOffset now)
    {
        using var statements = new Statements(session.Connection, session.Sqlite);

        foreach (var m in batch.Members.Values)
        {
            statements.Run(UpsertMember, m.NodeId, m.Url, m.Name, m.Capacity, m.Order, (int)m.Mode, m.Removed, m.Version, m.VersionNodeId, m.Zone);
        }

        var seen = now.ToUnixTimeMilliseconds();
        foreach (var d in batch.Assignments.Values)
        {
            statements.Run(UpsertAssignment, d.ClientId, d.Primary, d.Primary is null ? null : d.Alternate,
                d.Version.Counter, d.Version.NodeId, d.Bounces, (int)d.Reason, seen, d.Registration);
        }

        foreach (var (clientId, at) in batch.Seen)
        {
            statements.Run(UpdateSeen, clientId, at * 1000);
        }

        foreach (var (clientId, tag) in batch.RetryTags)
        {
            if (tag is null)
            {
                statements.Run(DeleteRetryTag, clientId);
            }
            else
            {
                statements.Run(UpsertRetryTag, clientId, tag.Tag, tag.ClaimId, tag.GrantedAt.ToUnixTimeMilliseconds(),
                    tag.Until.ToUnixTimeMilliseconds(), tag.Registration);
            }
        }

        foreach (var (clientId, mirror) in batch.Mirrors)
        {
            if (mirror is null)
            {
                statements.Run(DeleteMirror, clientId);
            }
            else
            {
                statements.Run(UpsertMirror, clientId, unchecked((long)mirror.Sequence), MirrorEntriesCodec.Encode(mirror.Entries));
            }
        }

        statements.Commit();
        return statements.Count;
    }

    /// <summary>
    /// The writer's connection, opened once and used batch after batch by the committer thread alone, with (on SQLite) its
    /// statements prepared once for the session (<see cref="SqliteStatements"/>). A context and a pooled connection per
    /// batch cost about an eighth of the writer's CPU once every new client's 201 waited for its own commit
    /// (<see cref="PersistenceWriter.WhenStoredAsync"/>: batches of a few rows, thousands a second). Any failure ends the
    /// session (the writer disposes it and opens a new one for the retry), so a connection the database dropped or a
    /// statement a schema change invalidated is never used again.
    /// </summary>
    internal sealed class WriterSession : IDisposable
    {
        private readonly NodeDbContext _db;

        public WriterSession(NodeDbContext db)
        {
            _db = db;
            try
            {
                db.Database.OpenConnection();
                Connection = db.Database.GetDbConnection();
                Sqlite = Connection is SqliteConnection sqlite ? new SqliteStatements(sqlite) : null;
            }
            catch
            {
                db.Dispose();
                throw;
            }
        }

        public DbConnection Connection { get; }

        /// <summary>The prepared statements on SQLite; null on PostgreSQL (Npgsql prepares by itself: <c>Max Auto Prepare</c>).</summary>
        public SqliteStatements? Sqlite { get; }

        public void Dispose()
        {
            Sqlite?.Dispose(); // finalized before the connection goes back to the pool
            _db.Dispose();
        }
    }

    /// <summary>
    /// Runs parameterised statements in order, committing every <see cref="MaxTransaction"/> statements. On PostgreSQL
    /// (Npgsql batches: <see cref="DbConnection.CreateBatch"/>) up to <see cref="BatchSize"/> statements go to the server in
    /// one round trip. On SQLite (in-process) each SQL text is prepared once per session on the connection's own handle and
    /// its values bound by position (<see cref="SqliteStatements"/>).
    /// </summary>
    private sealed class Statements : IDisposable
    {
        private const int BatchSize = 1000;
        /// <summary>Statements per transaction (10,000; on PostgreSQL a boundary falls between two round trips).</summary>
        public const int MaxTransaction = 10_000;
        private readonly DbConnection _connection;
        private readonly SqliteStatements? _sqlite;
        private DbTransaction _transaction;
        private int _inTransaction;
        private DbBatch? _batch;

        public Statements(DbConnection connection, SqliteStatements? sqlite)
        {
            _connection = connection;
            _transaction = connection.BeginTransaction();
            _sqlite = sqlite;
        }

        /// <summary>Statements run (or queued) so far.</summary>
        public int Count { get; private set; }

        public void Run(string sql, params ReadOnlySpan<SqlValue> values)
        {
            Count++;
            if (++_inTransaction > MaxTransaction && _batch is null)
            {
                Commit();
                _transaction = _connection.BeginTransaction();
            }

            if (_sqlite is not null)
            {
                _sqlite.Run(sql, values); // on the connection, inside the transaction begun on it
                return;
            }

            _batch ??= NewBatch();
            var command = _batch.CreateBatchCommand();
#pragma warning disable CA2100 // Constant SQL; values go through parameters.
            command.CommandText = sql;
#pragma warning restore CA2100
            for (var i = 0; i < values.Length; i++)
            {
                var p = command.CreateParameter();
                (p.ParameterName, p.Value) = (Name(i), values[i].ToParameterValue());
                command.Parameters.Add(p);
            }

            _batch.BatchCommands.Add(command);
            if (_batch.BatchCommands.Count >= BatchSize)
            {
                Flush();
            }
        }

        /// <summary>Sends the statements still queued.</summary>
        public void Flush()
        {
            if (_batch is { BatchCommands.Count: > 0 })
            {
                _batch.ExecuteNonQuery();
                _batch.Dispose();
                _batch = null;
            }
        }

        /// <summary>Sends what is queued and commits the current transaction.</summary>
        public void Commit()
        {
            Flush();
            _transaction.Commit();
            _inTransaction = 0;
        }

        public void Dispose()
        {
            _transaction.Dispose(); // rolls back what was not committed; the session's prepared statements stay (each is reset after its step)
            _batch?.Dispose();
        }

        private DbBatch NewBatch()
        {
            var batch = _connection.CreateBatch();
            batch.Transaction = _transaction;
            return batch;
        }

        private static string Name(int i) => "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
