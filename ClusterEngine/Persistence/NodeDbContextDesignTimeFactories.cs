using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore.Design;

namespace ClusterEngine.Persistence;

/// <summary>Lets <c>dotnet ef</c> build the SQLite model from this class library (migrations only; never used at run time).</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by the EF Core design-time tools.")]
internal sealed class SqliteNodeDbContextDesignTimeFactory : IDesignTimeDbContextFactory<SqliteNodeDbContext>
{
    public SqliteNodeDbContext CreateDbContext(string[] args) =>
        new(NodeDatabaseProvider.SqliteOptions(Path.Combine(Path.GetTempPath(), "clusterportal-design"), new PersistenceOptions()));
}

/// <summary>Lets <c>dotnet ef</c> build the PostgreSQL model (migrations only: no connection is opened).</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by the EF Core design-time tools.")]
internal sealed class PostgreSqlNodeDbContextDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlNodeDbContext>
{
    public PostgreSqlNodeDbContext CreateDbContext(string[] args) =>
        new(NodeDatabaseProvider.PostgreSqlOptions("Host=localhost;Database=design", "design", new PersistenceOptions()));
}
