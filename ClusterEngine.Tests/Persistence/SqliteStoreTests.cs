using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ClusterEngine.Tests.Persistence;

/// <summary>What only the SQLite store does: WAL, per-connection pragmas.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Database_is_in_WAL_mode()
    {
        await using var store = await NodeStore.StartAsync(_dir.Path);
        await store.Writer.FlushAsync();

        await using var connection = new SqliteConnection($"Data Source={_dir.DatabaseFile};Pooling=False");
        await connection.OpenAsync();
        await using var mode = connection.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await mode.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Every_context_connection_uses_synchronous_normal_and_a_busy_timeout()
    {
        await using var store = await NodeStore.StartAsync(_dir.Path);
        await using var db = await store.Factory.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA synchronous";
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!); // 1 = NORMAL
        command.CommandText = "PRAGMA busy_timeout";
        Assert.Equal(5000L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public void Default_data_directory_is_data_slash_node_id()
    {
        var options = new ClusterOptions { NodeId = "node-7" };

        Assert.Equal(Path.Combine("data", "node-7"), Microsoft.Extensions.DependencyInjection.PersistenceClusterEngineBuilderExtensions.DataDirectoryOf(options));
    }
}
