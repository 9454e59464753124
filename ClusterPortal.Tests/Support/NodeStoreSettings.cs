using ClusterEngine.Persistence;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// The persistence settings of test nodes on one provider: nothing for SQLite (the default, in each node's data
/// directory), or a fresh empty database on the test PostgreSQL server (<see cref="PostgresServer.Shared"/>) that every
/// node of the test shares, each in its own schema. Dispose to drop the database.
/// </summary>
public sealed class NodeStoreSettings : IAsyncDisposable
{
    private readonly TestDatabase? _database;

    private NodeStoreSettings(PersistenceProvider provider, TestDatabase? database) => (Provider, _database) = (provider, database);

    public PersistenceProvider Provider { get; }

    /// <summary>The database's connection string (PostgreSQL), else null.</summary>
    public string? ConnectionString => _database?.ConnectionString;

    public static async Task<NodeStoreSettings> CreateAsync(PersistenceProvider provider) => provider == PersistenceProvider.PostgreSql
        ? new NodeStoreSettings(provider, await (await PostgresServer.Shared).CreateDatabaseAsync())
        : new NodeStoreSettings(provider, null);

    /// <summary>Configuration keys for a node (add to its settings).</summary>
    public Dictionary<string, string?> Settings(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? []);
        if (_database is not null)
        {
            settings["Persistence:Provider"] = nameof(PersistenceProvider.PostgreSql);
            settings["Persistence:ConnectionString"] = _database.ConnectionString;
        }

        return settings;
    }

    /// <summary>The same as command-line arguments of a node process.</summary>
    public IReadOnlyList<string> Arguments() => [.. Settings().Select(kv => $"--{kv.Key}={kv.Value}")];

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
