using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ClusterEngine.Persistence;

/// <summary>
/// The one place where the node database's provider is chosen (DESIGN.md §2): SQLite today, in
/// <c>{dataDirectory}/node.db</c>. A PostgreSQL option would be added here and nowhere else.
/// </summary>
internal static class NodeDatabaseProvider
{
    /// <summary>Points <paramref name="builder"/> at the node database of <paramref name="dataDirectory"/>, creating the directory.</summary>
    public static DbContextOptionsBuilder UseNodeDatabase(this DbContextOptionsBuilder builder, string dataDirectory, PersistenceOptions options)
    {
        Directory.CreateDirectory(dataDirectory);
        var connection = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(Path.GetFullPath(dataDirectory), PersistenceOptions.DatabaseFileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)options.BusyTimeout.TotalSeconds),
        };
        return builder
            .UseSqlite(connection.ToString(), sqlite => sqlite.MigrationsAssembly(typeof(NodeDbContext).Assembly.GetName().Name))
            .AddInterceptors(new SqlitePragmaInterceptor(options.BusyTimeout));
    }
}
