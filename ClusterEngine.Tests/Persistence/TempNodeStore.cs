using ClusterEngine.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterEngine.Tests.Persistence;

/// <summary>A real SQLite node database in a temporary directory, deleted on dispose.</summary>
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

/// <summary>Writer, loader and context factory over one data directory, as the DI extension builds them.</summary>
internal sealed class NodeStore : IAsyncDisposable
{
    private NodeStore(string directory, PersistenceOptions options)
    {
        var builder = new DbContextOptionsBuilder<NodeDbContext>();
        builder.UseNodeDatabase(directory, options);
        Factory = new PooledDbContextFactory<NodeDbContext>(builder.Options);
        var database = new NodeDatabase(Factory, NullLogger<NodeDatabase>.Instance);
        Writer = new PersistenceWriter(Factory, database, options, TimeProvider.System, NullLogger<PersistenceWriter>.Instance);
        Loader = new PersistenceLoader(Factory, database, TimeProvider.System, NullLogger<PersistenceLoader>.Instance);
    }

    public IDbContextFactory<NodeDbContext> Factory { get; }

    public PersistenceWriter Writer { get; }

    public PersistenceLoader Loader { get; }

    /// <summary>Opens the store and starts its writer.</summary>
    public static async Task<NodeStore> StartAsync(string directory, Action<PersistenceOptions>? configure = null)
    {
        var options = new PersistenceOptions();
        configure?.Invoke(options);
        var store = new NodeStore(directory, options);
        await store.Writer.StartAsync(CancellationToken.None);
        return store;
    }

    public async ValueTask DisposeAsync() => await Writer.DisposeAsync();
}

/// <summary>Member records for tests.</summary>
internal static class TempNodeStore
{
    public static ClusterEngine.Membership.MemberRecord MemberOf(ClusterEngine.Membership.NodeStatus n) =>
        new(n.NodeId, n.Url, n.Name, n.Capacity, n.Order, n.Mode, false, 1, n.NodeId);
}
