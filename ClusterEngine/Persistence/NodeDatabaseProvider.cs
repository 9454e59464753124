using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>
/// The one place where the node database's provider is chosen (<c>Persistence:Provider</c>): EF Core options for
/// <see cref="SqliteNodeDbContext"/> or <see cref="PostgreSqlNodeDbContext"/>, each with its own migrations, behind
/// one <see cref="IDbContextFactory{NodeDbContext}"/>.
/// </summary>
internal static class NodeDatabaseProvider
{
    /// <summary>The migrations history table (EF's default name; in the node's schema on PostgreSQL).</summary>
    public const string HistoryTable = "__EFMigrationsHistory";

    /// <summary>A pooled context factory for <paramref name="target"/> (the SQLite directory is created).</summary>
    public static IDbContextFactory<NodeDbContext> CreateFactory(NodeDatabaseTarget target, PersistenceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Provider switch
        {
            PersistenceProvider.PostgreSql => new NodeDbContextFactory<PostgreSqlNodeDbContext>(PostgreSqlOptions(target.ConnectionString, target.Schema!, options, loggerFactory)),
            _ => new NodeDbContextFactory<SqliteNodeDbContext>(SqliteOptions(target, options, loggerFactory)),
        };
    }

    /// <summary>Options of the SQLite context over <c>{dataDirectory}/node.db</c> (design time).</summary>
    public static DbContextOptions<SqliteNodeDbContext> SqliteOptions(string dataDirectory, PersistenceOptions options) =>
        SqliteOptions(NodeDatabaseTarget.For(dataDirectory, "design", options), options, null);

    /// <summary>Options of the PostgreSQL context; <paramref name="connectionString"/> should already carry the schema as its search path.</summary>
    public static DbContextOptions<PostgreSqlNodeDbContext> PostgreSqlOptions(string connectionString, string schema, PersistenceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new DbContextOptionsBuilder<PostgreSqlNodeDbContext>()
            .UseNpgsql(connectionString, npgsql => npgsql
                .MigrationsAssembly(typeof(NodeDbContext).Assembly.GetName().Name)
                .MigrationsHistoryTable(HistoryTable, schema));
        return WithLogging(builder, loggerFactory).Options;
    }

    private static DbContextOptions<SqliteNodeDbContext> SqliteOptions(NodeDatabaseTarget target, PersistenceOptions options, ILoggerFactory? loggerFactory)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target.Description)!);
        var builder = new DbContextOptionsBuilder<SqliteNodeDbContext>()
            .UseSqlite(target.ConnectionString, sqlite => sqlite.MigrationsAssembly(typeof(NodeDbContext).Assembly.GetName().Name))
            .AddInterceptors(new SqlitePragmaInterceptor(options.BusyTimeout));
        return WithLogging(builder, loggerFactory).Options;
    }

    /// <summary>
    /// EF's own "Failed executing DbCommand" errors go to Debug: EF probes the migrations history table by querying it,
    /// which fails on every first start, and the persistence shell reports real failures itself (the writer's
    /// "database unavailable", exceptions from the loader).
    /// </summary>
    private static DbContextOptionsBuilder<T> WithLogging<T>(DbContextOptionsBuilder<T> builder, ILoggerFactory? loggerFactory)
        where T : DbContext
    {
        // Executed SQL is debug output, not news for an operator (README, "Logs"): it shows with the category at Debug.
        builder.ConfigureWarnings(w => w.Log((RelationalEventId.CommandError, LogLevel.Debug), (RelationalEventId.CommandExecuted, LogLevel.Debug)));
        return loggerFactory is null ? builder : builder.UseLoggerFactory(loggerFactory);
    }
}

/// <summary>Hands out pooled contexts of one provider's subclass as <see cref="NodeDbContext"/>.</summary>
/// <typeparam name="TContext">The provider's context type.</typeparam>
internal sealed class NodeDbContextFactory<TContext>(DbContextOptions<TContext> options) : IDbContextFactory<NodeDbContext>
    where TContext : NodeDbContext
{
    private readonly PooledDbContextFactory<TContext> _pool = new(options);

    public NodeDbContext CreateDbContext() => _pool.CreateDbContext();

    public async Task<NodeDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await _pool.CreateDbContextAsync(cancellationToken);
}
