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
/// session ends: when the node stops or dies, and also when the connection breaks (a server restart), so it guards
/// against a second start, not against every interleaving.
/// </summary>
internal sealed class SchemaLock : IDisposable
{
    /// <summary>
    /// How long a refused lock is tried again before the start is refused: the session of a node killed a moment ago ends
    /// when its server notices the closed connection, which may come just after the restarted node asks (5 s).
    /// </summary>
    public static readonly TimeSpan HolderGoneWait = TimeSpan.FromSeconds(5);

    private readonly NpgsqlConnection _connection;

    private SchemaLock(NpgsqlConnection connection) => _connection = connection;

    /// <summary>Takes the lock of <paramref name="target"/>'s schema.</summary>
    /// <param name="target">A PostgreSQL target (its schema names the lock).</param>
    /// <param name="holder">What holds it, for the refusal of a second node (e.g. <c>node-1 on http://…</c>); nothing secret.</param>
    /// <exception cref="SchemaInUseException">Another session holds it.</exception>
    /// <exception cref="NpgsqlException">The server could not be reached.</exception>
    public static SchemaLock Acquire(NodeDatabaseTarget target, string holder)
    {
        ArgumentNullException.ThrowIfNull(target);
        var schema = target.Schema ?? throw new ArgumentException("Only a PostgreSQL target has a schema.", nameof(target));
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            Pooling = false, // the session is the lock: never handed back to a pool
            ApplicationName = Shorten($"ClusterPortal lock: {holder}"),
            KeepAlive = 30,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            connection.Open();
            var key = Key(schema);
            using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection) { Parameters = { new() { Value = key } } };
            var until = DateTime.UtcNow + HolderGoneWait;
            while (take.ExecuteScalar() is not true)
            {
                if (DateTime.UtcNow >= until)
                {
                    throw new SchemaInUseException(schema, Holder(connection, key));
                }

                Thread.Sleep(200);
            }

            return new SchemaLock(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The lock's key: the first 8 bytes of SHA-256 over a label and the schema name.</summary>
    internal static long Key(string schema) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("ClusterPortal schema " + schema)).AsSpan(0, 8));

    /// <summary>Ends the session, which releases the lock.</summary>
    public void Dispose() => _connection.Dispose();

    /// <summary>
    /// The holder's application name, address, start and server pid, from <c>pg_locks</c> and <c>pg_stat_activity</c> of this
    /// database; details another role may not see are left out (the server shows them as null), and any failure to read
    /// them leaves "another session": the refusal stands without them.
    /// </summary>
    private static string Holder(NpgsqlConnection connection, long key)
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
                return "another session";
            }

            var name = row.IsDBNull(0) || row.GetString(0).Length == 0 ? "another session" : $"'{row.GetString(0)}'";
            var from = row.IsDBNull(1) ? "" : $" from {row.GetString(1)}";
            var since = row.IsDBNull(2) ? "" : string.Create(CultureInfo.InvariantCulture, $" since {row.GetDateTime(2):yyyy-MM-dd HH:mm:ss} UTC");
            return string.Create(CultureInfo.InvariantCulture, $"{name}{from}{since} (server pid {row.GetInt32(3)})");
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidCastException or InvalidOperationException)
        {
            return "another session";
        }
    }

    private static string Shorten(string name) => name.Length <= 63 ? name : name[..63]; // PostgreSQL keeps 63 bytes
}

/// <summary>The node's PostgreSQL schema is locked by another node (<see cref="SchemaLock"/>).</summary>
internal sealed class SchemaInUseException(string schema, string holder)
    : InvalidOperationException($"schema \"{schema}\" is in use by {holder}: one node per schema (another node with this Cluster:NodeId or "
        + "Persistence:Schema? If that node is gone — its host crashed, its network cut — the server keeps its session until TCP keepalive "
        + "notices: end it with pg_terminate_backend(<server pid>).)")
{
}
