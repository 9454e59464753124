using Microsoft.Data.Sqlite;
using Npgsql;

namespace ClusterEngine.Persistence;

/// <summary>
/// Which database a node uses, resolved once from its options: the provider, the ADO.NET connection string the node
/// opens (for PostgreSQL with <c>search_path</c> set to the node's schema), the schema (PostgreSQL only) and a
/// password-free description for logs and error messages.
/// </summary>
/// <param name="Provider">The provider.</param>
/// <param name="ConnectionString">The connection string as opened (may hold a password: never log it).</param>
/// <param name="Schema">The node's PostgreSQL schema; null for SQLite.</param>
/// <param name="Description">E.g. <c>/data/node.db</c> or <c>db:5432/portal, schema "node-1"</c>.</param>
public sealed record NodeDatabaseTarget(PersistenceProvider Provider, string ConnectionString, string? Schema, string Description)
{
    /// <summary>Resolves the target of a node: the SQLite file in its data directory, or its schema in the PostgreSQL database.</summary>
    /// <param name="dataDirectory">The node's data directory (SQLite only; not created here).</param>
    /// <param name="nodeId">The node id (the default schema).</param>
    /// <param name="options">Validated persistence options.</param>
    /// <exception cref="ArgumentException">The PostgreSQL connection string does not parse.</exception>
    public static NodeDatabaseTarget For(string dataDirectory, string nodeId, PersistenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider == PersistenceProvider.PostgreSql)
        {
            var schema = options.SchemaFor(nodeId);
            var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString)
            {
                // Unqualified names in the migrations and in BatchSql resolve to the node's schema (docs/persistence.md).
                SearchPath = QuoteIdentifier(schema),
            };
            if (builder.MaxAutoPrepare == 0)
            {
                // The writer's few upsert texts run thousands of times per batch: prepared once per connection, the server
                // skips parsing and planning them (docs/persistence.md, "Write throughput").
                builder.MaxAutoPrepare = 16;
            }

            if (string.IsNullOrEmpty(builder.ApplicationName))
            {
                builder.ApplicationName = $"ClusterPortal {nodeId}"; // visible in pg_stat_activity
            }

            var description = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}, schema \"{schema}\"";
            return new NodeDatabaseTarget(PersistenceProvider.PostgreSql, builder.ConnectionString, schema, description);
        }

        var path = Path.Combine(Path.GetFullPath(dataDirectory), PersistenceOptions.DatabaseFileName);
        var sqlite = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)options.BusyTimeout.TotalSeconds),
        };
        return new NodeDatabaseTarget(PersistenceProvider.Sqlite, sqlite.ToString(), null, path);
    }

    /// <summary>A PostgreSQL quoted identifier (double quotes doubled).</summary>
    public static string QuoteIdentifier(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
