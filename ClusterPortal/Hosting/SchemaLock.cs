using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ClusterEngine.Persistence;
using Npgsql;

namespace ClusterPortal.Hosting;

/// <summary>
/// One node per PostgreSQL schema, as <see cref="DataDirectoryLock"/> is one process per data directory: a session-level
/// advisory lock (<c>pg_try_advisory_lock</c>) on a key derived from the schema's name, taken at start on a connection of
/// its own (no pool) and held for the node's life. A second node started on the same schema — the same node id twice, or
/// a <c>Persistence:Schema</c> copied from another node — stops with exit code 2 naming the holder, instead of sharing the
/// first one's rows and jobs (found by attack: both were admitted and served). The server releases the lock when the
/// session ends: when the node stops or dies, when its host vanishes (the session's TCP keepalive,
/// <see cref="PersistenceOptions.LockKeepAlive"/>), and when the connection breaks (a server restart). The last is
/// <see cref="NodeLockWatch"/>'s to mend: it takes the lock again, or stops the node when another one took it meanwhile.
/// </summary>
internal sealed class SchemaLock : IDisposable
{
    /// <summary>
    /// How long a refused lock is tried again before the start is refused: the session of a node killed a moment ago ends
    /// when its server notices the closed connection, which may come just after the restarted node asks (5 s).
    /// </summary>
    public static readonly TimeSpan HolderGoneWait = TimeSpan.FromSeconds(5);

    private readonly string _connectionString;
    private readonly TimeSpan _keepAlive;
    private readonly string _schema;
    private readonly long _key;
    private readonly Lock _gate = new();
    private NpgsqlConnection? _connection;
    private int _pid; // the server pid of the session that took the lock

    private SchemaLock(string connectionString, TimeSpan keepAlive, string schema, NpgsqlConnection connection)
    {
        _connectionString = connectionString;
        _keepAlive = keepAlive;
        _pid = connection.ProcessID;
        _schema = schema;
        _key = Key(schema);
        _connection = connection;
    }

    /// <summary>Takes the lock of <paramref name="target"/>'s schema.</summary>
    /// <param name="target">A PostgreSQL target (its schema names the lock).</param>
    /// <param name="holder">What holds it, for the refusal of a second node (e.g. <c>node-1 on http://…</c>); nothing secret.</param>
    /// <param name="keepAlive">The server's TCP keepalive idle time on the lock's session, whole seconds
    /// (<see cref="PersistenceOptions.LockKeepAlive"/>; its default when null).</param>
    /// <exception cref="SchemaInUseException">Another session holds it.</exception>
    /// <exception cref="NpgsqlException">The server could not be reached.</exception>
    public static SchemaLock Acquire(NodeDatabaseTarget target, string holder, TimeSpan? keepAlive = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var schema = target.Schema ?? throw new ArgumentException("Only a PostgreSQL target has a schema.", nameof(target));
        var connectionString = SessionConnectionString(target.ConnectionString, holder);
        var idle = keepAlive ?? new PersistenceOptions().LockKeepAlive;
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            connection.Open();
            using (var set = new NpgsqlCommand(KeepAliveSql(idle), connection))
            {
                set.ExecuteNonQuery();
            }

            var key = Key(schema);
            using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection) { Parameters = { new() { Value = key } } };
            var until = DateTime.UtcNow + HolderGoneWait;
            while (take.ExecuteScalar() is not true)
            {
                if (DateTime.UtcNow >= until)
                {
                    throw new SchemaInUseException(schema, Holder(connection, key).Description);
                }

                Thread.Sleep(200);
            }

            return new SchemaLock(connectionString, idle, schema, connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The schema this lock is of.</summary>
    public string Schema => _schema;

    /// <summary>
    /// Checks that the session still holds the lock; when the session is gone (the server restarted, the connection broke,
    /// an administrator ended it) opens a new one and takes the lock again. Called by <see cref="NodeLockWatch"/> only.
    /// </summary>
    /// <returns><see cref="SchemaLockState.Held"/>, <see cref="SchemaLockState.Retaken"/>, <see cref="SchemaLockState.Unreachable"/>
    /// (no session now; the detail is the server's error), <see cref="SchemaLockState.Lingering"/> (this node's own earlier
    /// session, unanswering, still holds it: ended; the detail is its server pid) or <see cref="SchemaLockState.Taken"/>
    /// (another session took it while this one was gone; the detail names the holder as a refused start does). Never throws
    /// for the server's failures.</returns>
    /// <param name="timeout">Longest the lock's session may take to answer before it counts as gone (whole seconds, at least 1).</param>
    /// <param name="cancellationToken">The node's stop.</param>
    public async Task<(SchemaLockState State, string? Detail)> CheckAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        NpgsqlConnection? current;
        lock (_gate)
        {
            current = _connection;
        }

        if (current is null)
        {
            return (SchemaLockState.Unreachable, "the lock was released");
        }

        try
        {
            await using var held = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND granted AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1)",
                current)
            {
                Parameters = { new() { Value = (long)(uint)(_key >> 32) }, new() { Value = (long)(uint)_key } },
                CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)), // not Npgsql's 30 s: a hung session is a gone one
            };
            if (await held.ExecuteScalarAsync(cancellationToken) is true)
            {
                return (SchemaLockState.Held, null);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
        {
            // The session is gone: a new one below.
        }

        var fresh = new NpgsqlConnection(_connectionString);
        try
        {
            await fresh.OpenAsync(cancellationToken);
            await using (var set = new NpgsqlCommand(KeepAliveSql(_keepAlive), fresh))
            {
                await set.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", fresh) { Parameters = { new() { Value = _key } } };
            if (await take.ExecuteScalarAsync(cancellationToken) is not true)
            {
                var (holder, pid) = Holder(fresh, _key);
                if (pid is { } stale && stale == _pid)
                {
                    // This node's own session holds it still: it stopped answering (a hung backend, a network fault on that
                    // one connection) but the server has not ended it yet. Not a second node: end it; taken again next check.
                    await using var end = new NpgsqlCommand("SELECT pg_terminate_backend($1)", fresh) { Parameters = { new() { Value = stale } } };
                    var ended = await end.ExecuteScalarAsync(cancellationToken) is true;
                    await fresh.DisposeAsync();
                    return (SchemaLockState.Lingering, string.Create(CultureInfo.InvariantCulture, $"server pid {stale}{(ended ? ", ended" : ", which this role may not end")}"));
                }

                await fresh.DisposeAsync();
                return (SchemaLockState.Taken, holder);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await fresh.DisposeAsync();
            return (SchemaLockState.Unreachable, ex.Message);
        }
        catch (OperationCanceledException)
        {
            await fresh.DisposeAsync(); // the node is stopping
            throw;
        }

        lock (_gate)
        {
            if (_connection is null)
            {
                fresh.Dispose(); // released meanwhile: the node is stopping
                return (SchemaLockState.Unreachable, "the lock was released");
            }

            _connection.Dispose();
            _connection = fresh;
            _pid = fresh.ProcessID;
        }

        return (SchemaLockState.Retaken, null);
    }

    /// <summary>
    /// The lock session's connection string: no pool (the session is the lock: never handed back to one) and an application
    /// name naming the holder (what a refused node and <c>pg_stat_activity</c> show).
    /// </summary>
    internal static string SessionConnectionString(string connectionString, string holder) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = Shorten($"ClusterPortal lock: {holder}"),
        }.ConnectionString;

    /// <summary>
    /// The server's TCP keepalive for the lock's session, so a holder whose host vanished loses the lock after about
    /// 2.5 × <paramref name="keepAlive"/> (idle time; probes every half of it; three unanswered end the session). Set with
    /// <c>SET</c> after the session opens rather than as a startup option, which connection poolers such as PgBouncer refuse;
    /// a session over a Unix socket accepts and ignores them.
    /// </summary>
    internal static string KeepAliveSql(TimeSpan keepAlive)
    {
        var idle = Math.Max(1, (int)keepAlive.TotalSeconds);
        return string.Create(CultureInfo.InvariantCulture,
            $"SET tcp_keepalives_idle = {idle}; SET tcp_keepalives_interval = {Math.Max(1, idle / 2)}; SET tcp_keepalives_count = 3");
    }

    /// <summary>The lock's key: the first 8 bytes of SHA-256 over a label and the schema name.</summary>
    internal static long Key(string schema) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("ClusterPortal schema " + schema)).AsSpan(0, 8));

    /// <summary>Ends the session, which releases the lock.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _connection?.Dispose();
            _connection = null;
        }
    }

    /// <summary>
    /// The holder's application name, address, start and server pid, from <c>pg_locks</c> and <c>pg_stat_activity</c> of this
    /// database; details another role may not see are left out (the server shows them as null), and any failure to read
    /// them leaves "another session": the refusal stands without them.
    /// </summary>
    private static (string Description, int? Pid) Holder(NpgsqlConnection connection, long key)
    {
        const string sql = """
            SELECT a.application_name, host(a.client_addr), a.backend_start, l.pid
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """;
        try
        {
            using var find = new NpgsqlCommand(sql, connection)
            {
                Parameters = { new() { Value = (long)(uint)(key >> 32) }, new() { Value = (long)(uint)key } },
            };
            using var row = find.ExecuteReader();
            if (!row.Read())
            {
                return ("another session", null);
            }

            var name = row.IsDBNull(0) || row.GetString(0).Length == 0 ? "another session" : $"'{row.GetString(0)}'";
            var from = row.IsDBNull(1) ? "" : $" from {row.GetString(1)}";
            var since = row.IsDBNull(2) ? "" : string.Create(CultureInfo.InvariantCulture, $" since {row.GetDateTime(2):yyyy-MM-dd HH:mm:ss} UTC");
            var pid = row.GetInt32(3);
            return (string.Create(CultureInfo.InvariantCulture, $"{name}{from}{since} (server pid {pid})"), pid);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidCastException or InvalidOperationException)
        {
            return ("another session", null);
        }
    }

    private static string Shorten(string name) => name.Length <= 63 ? name : name[..63]; // PostgreSQL keeps 63 bytes
}

/// <summary>What <see cref="SchemaLock.CheckAsync"/> found.</summary>
internal enum SchemaLockState
{
    /// <summary>The session holds the lock.</summary>
    Held,

    /// <summary>The session was gone; a new one took the lock again.</summary>
    Retaken,

    /// <summary>The session is gone and no new one could be opened (the server is down or unreachable): checked again later.</summary>
    Unreachable,

    /// <summary>The session was gone and another session holds the lock now: a second node on this schema.</summary>
    Taken,

    /// <summary>The session stopped answering and still holds the lock on the server: it was ended (when this role may); taken again next check.</summary>
    Lingering,
}

/// <summary>The node's PostgreSQL schema is locked by another node (<see cref="SchemaLock"/>).</summary>
internal sealed class SchemaInUseException(string schema, string holder)
    : InvalidOperationException($"schema \"{schema}\" is in use by {holder}: one node per schema (another node with this Cluster:NodeId or "
        + "Persistence:Schema? If that node is gone — its host crashed, its network cut — the server keeps its session until TCP keepalive "
        + "notices: end it with pg_terminate_backend(<server pid>).)")
{
}
