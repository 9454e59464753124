using Microsoft.EntityFrameworkCore;

namespace ClusterEngine.Persistence;

/// <summary>
/// The node database on SQLite (<c>Persistence:Provider=Sqlite</c>, the default): <c>{Cluster:DataDirectory}/node.db</c>.
/// Its migrations are in <c>Persistence/Migrations/Sqlite</c> (<c>dotnet ef migrations add X --context SqliteNodeDbContext
/// --output-dir Persistence/Migrations/Sqlite</c>).
/// </summary>
/// <param name="options">Options built by <see cref="NodeDatabaseProvider"/>.</param>
public sealed class SqliteNodeDbContext(DbContextOptions<SqliteNodeDbContext> options) : NodeDbContext(options);
