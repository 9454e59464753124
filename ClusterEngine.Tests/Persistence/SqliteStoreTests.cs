using Microsoft.Data.Sqlite;
using ClusterEngine.Persistence;
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
    public void Statements_bind_every_kind_of_value_by_parameter_name_whatever_their_order_in_the_text()
    {
        using var connection = OpenScratch();
        Execute(connection, "CREATE TABLE t (a TEXT, b INTEGER, c INTEGER, d INTEGER, e BLOB, f TEXT)");
        using (var statements = new SqliteStatements(connection))
        {
            // @p1 first in the text: SQLite numbers parameters by first use, the values go by name.
            const string insert = "INSERT INTO t (b, a, c, d, e, f) VALUES (@p1, @p0, @p2, @p3, @p4, @p5)";
            statements.Run(insert, ["é-text", long.MaxValue, 7, true, new byte[] { 0, 1, 255 }, (string?)null]);
            statements.Run(insert, ["second", -1L, int.MinValue, false, (byte[]?)null, "x"]); // the prepared statement again
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT a, b, c, d, e, f FROM t ORDER BY rowid";
        using var rows = read.ExecuteReader();
        Assert.True(rows.Read());
        Assert.Equal(("é-text", long.MaxValue, 7L, 1L), (rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2), rows.GetInt64(3)));
        Assert.Equal(new byte[] { 0, 1, 255 }, (byte[])rows.GetValue(4));
        Assert.True(rows.IsDBNull(5));
        Assert.True(rows.Read());
        Assert.Equal(("second", -1L, (long)int.MinValue, 0L, "x"), (rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2), rows.GetInt64(3), rows.GetString(5)));
        Assert.True(rows.IsDBNull(4));
        Assert.False(rows.Read());
    }

    [Fact]
    public void A_statement_SQLite_refuses_throws_SqliteException_and_leaves_the_statement_usable()
    {
        using var connection = OpenScratch();
        Execute(connection, "CREATE TABLE t (a TEXT PRIMARY KEY)");
        using var statements = new SqliteStatements(connection);
        const string insert = "INSERT INTO t (a) VALUES (@p0)";
        statements.Run(insert, ["one"]);

        var duplicate = Assert.Throws<SqliteException>(() => statements.Run(insert, ["one"]));
        Assert.Equal(19, duplicate.SqliteErrorCode); // SQLITE_CONSTRAINT
        statements.Run(insert, ["two"]); // reset after the failure: the next row goes in
        Assert.Throws<SqliteException>(() => statements.Run("INSERT INTO missing (a) VALUES (@p0)", ["x"]));
        Assert.Throws<InvalidOperationException>(() => statements.Run(insert, ["x", "one value too many"]));
        Assert.Throws<InvalidOperationException>(() => statements.Run("INSERT INTO t (a) VALUES (@p1)", ["no @p0"]));

        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM t";
        Assert.Equal(2L, (long)count.ExecuteScalar()!);
    }

    private SqliteConnection OpenScratch()
    {
        Directory.CreateDirectory(_dir.Path);
        var connection = new SqliteConnection($"Data Source={_dir.DatabaseFile};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void Default_data_directory_is_data_slash_node_id()
    {
        var options = new ClusterOptions { NodeId = "node-7" };

        Assert.Equal(Path.Combine("data", "node-7"), Microsoft.Extensions.DependencyInjection.PersistenceClusterEngineBuilderExtensions.DataDirectoryOf(options));
    }
}
