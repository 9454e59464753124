using Microsoft.EntityFrameworkCore;

namespace ClusterEngine.Persistence;

/// <summary>
/// The node database on PostgreSQL (<c>Persistence:Provider=PostgreSql</c>): the node's tables live in its own schema
/// (<c>Persistence:Schema</c>, default the node id), reached through the connection's <c>search_path</c>, so several
/// nodes can share one database and each owns its rows (docs/persistence.md). Its migrations are in
/// <c>Persistence/Migrations/PostgreSql</c> (<c>dotnet ef migrations add X --context PostgreSqlNodeDbContext
/// --output-dir Persistence/Migrations/PostgreSql</c>).
/// </summary>
/// <remarks>
/// Every text column uses the <c>"C"</c> collation: ids compare byte-wise, as the engine compares them
/// (<see cref="StringComparer.Ordinal"/>) and as SQLite's default <c>BINARY</c> collation does, so the version
/// tie-break on <c>VersionNodeId</c> in <see cref="BatchSql"/> decides the same on both providers whatever the
/// database's locale.
/// </remarks>
/// <param name="options">Options built by <see cref="NodeDatabaseProvider"/>.</param>
public sealed class PostgreSqlNodeDbContext(DbContextOptions<PostgreSqlNodeDbContext> options) : NodeDbContext(options)
{
    /// <summary>Collation of every text column: byte order, locale-independent.</summary>
    public const string OrdinalCollation = "C";

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()).Where(p => p.ClrType == typeof(string)))
        {
            property.SetCollation(OrdinalCollation);
        }
    }
}
