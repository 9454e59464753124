using System.Data.Common;
using ClusterEngine.Persistence;
using ClusterPortal.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ClusterEngine.Tests.Persistence;

/// <summary>A temporary directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cp-persist-" + Guid.NewGuid().ToString("N"));

    public string DatabaseFile => System.IO.Path.Combine(Path, PersistenceOptions.DatabaseFileName);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>
/// Where a test's node database lives: a real SQLite file in a temporary directory, or a fresh empty database on the
/// test PostgreSQL server (<see cref="PostgresServer.Shared"/>). The same tests run against both (issue 16).
/// </summary>
internal sealed class StoreLocation : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestDatabase? _database;

    private StoreLocation(PersistenceProvider provider, TestDatabase? database) => (Provider, _database) = (provider, database);

    public PersistenceProvider Provider { get; }

    /// <summary>The node's data directory (holds the SQLite file; unused by PostgreSQL).</summary>
    public string DataDirectory => _dir.Path;

    /// <summary>The PostgreSQL database's connection string; null for SQLite.</summary>
    public string? ConnectionString => _database?.ConnectionString;

    public static async Task<StoreLocation> CreateAsync(PersistenceProvider provider) => provider == PersistenceProvider.PostgreSql
        ? new StoreLocation(provider, await (await PostgresServer.Shared).CreateDatabaseAsync())
        : new StoreLocation(provider, null);

    /// <summary>Configuration of a node on this location.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Cluster:DataDirectory"] = DataDirectory,
        ["Persistence:Provider"] = Provider.ToString(),
        ["Persistence:ConnectionString"] = ConnectionString,
    };

    public PersistenceOptions Options(Action<PersistenceOptions>? configure = null)
    {
        var options = new PersistenceOptions { Provider = Provider, ConnectionString = ConnectionString };
        configure?.Invoke(options);
        return options;
    }

    public NodeDatabaseTarget Target(PersistenceOptions options, string nodeId = "n1") => NodeDatabaseTarget.For(DataDirectory, nodeId, options);

    /// <summary>A plain ADO.NET connection outside EF and the writer's pool, on <paramref name="nodeId"/>'s tables.</summary>
    public async Task<DbConnection> OpenRawAsync(string nodeId = "n1")
    {
        var target = Target(Options(), nodeId);
        DbConnection connection = Provider == PersistenceProvider.PostgreSql
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target.ConnectionString) { Pooling = false }.ConnectionString)
            : new SqliteConnection($"Data Source={_dir.DatabaseFile};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Rows of a table of the node, counted on a separate connection (committed, not just queued).</summary>
    public async Task<long> CountAsync(string table, string nodeId = "n1")
    {
        await using var connection = await OpenRawAsync(nodeId);
        await using var count = connection.CreateCommand();
#pragma warning disable CA2100 // Test SQL over a constant table name.
        count.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
#pragma warning restore CA2100
        return Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        _dir.Dispose();
    }
}

/// <summary>A test class that runs against one provider: a fresh <see cref="StoreLocation"/> per test.</summary>
public abstract class StoreTestBase : IAsyncLifetime
{
    private StoreLocation? _location;

    protected abstract PersistenceProvider Provider { get; }

    internal StoreLocation Location => _location ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync() => _location = await StoreLocation.CreateAsync(Provider);

    public async Task DisposeAsync()
    {
        if (_location is not null)
        {
            await _location.DisposeAsync();
        }
    }

    /// <summary>Opens a store on this test's location and starts its writer.</summary>
    internal Task<NodeStore> StartStoreAsync(Action<PersistenceOptions>? configure = null, string nodeId = "n1") =>
        NodeStore.StartAsync(Location.Target(Location.Options(configure), nodeId), Location.Options(configure));
}

/// <summary>Writer, loader and context factory over one database, as the DI extension builds them.</summary>
internal sealed class NodeStore : IAsyncDisposable
{
    private NodeStore(NodeDatabaseTarget target, PersistenceOptions options)
    {
        Target = target;
        Factory = NodeDatabaseProvider.CreateFactory(target, options);
        Database = new NodeDatabase(Factory, target, NullLogger<NodeDatabase>.Instance);
        Writer = new PersistenceWriter(Factory, Database, options, TimeProvider.System, NullLogger<PersistenceWriter>.Instance);
        Loader = new PersistenceLoader(Factory, Database, TimeProvider.System, NullLogger<PersistenceLoader>.Instance);
    }

    public IDbContextFactory<NodeDbContext> Factory { get; }

    public NodeDatabaseTarget Target { get; }

    /// <summary>The store's owner check for a node with <paramref name="key"/> and <paramref name="accepted"/> keys.</summary>
    public StoreOwner Owner(string key, params string[] accepted)
    {
        var options = new ClusterOptions { Key = key };
        foreach (var k in accepted)
        {
            options.AcceptedKeys.Add(k);
        }

        return new StoreOwner(Factory, Database, Target, options, NullLogger<StoreOwner>.Instance);
    }

    public NodeDatabase Database { get; }

    public PersistenceWriter Writer { get; }

    public PersistenceLoader Loader { get; }

    /// <summary>Opens the store and starts its writer.</summary>
    public static async Task<NodeStore> StartAsync(NodeDatabaseTarget target, PersistenceOptions options)
    {
        var store = new NodeStore(target, options);
        await store.Writer.StartAsync(CancellationToken.None);
        return store;
    }

    /// <summary>A SQLite store in <paramref name="directory"/>.</summary>
    public static Task<NodeStore> StartAsync(string directory, Action<PersistenceOptions>? configure = null)
    {
        var options = new PersistenceOptions();
        configure?.Invoke(options);
        return StartAsync(NodeDatabaseTarget.For(directory, "n1", options), options);
    }

    public async ValueTask DisposeAsync() => await Writer.DisposeAsync();
}

/// <summary>Member records for tests.</summary>
internal static class TempNodeStore
{
    public static ClusterEngine.Membership.MemberRecord MemberOf(ClusterEngine.Membership.NodeStatus n) =>
        new(n.NodeId, n.Url, n.Name, n.Capacity, n.Order, n.Mode, false, 1, n.NodeId);
}
