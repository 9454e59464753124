using ClusterEngine.Persistence;
using static ClusterEngine.Tests.Persistence.PersistenceRoundTripTests;

namespace ClusterEngine.Tests.Persistence;

/// <summary>
/// The writer's answers that wait for a commit (<see cref="PersistenceWriter.WhenStoredAsync"/>: a new client's 201,
/// docs/persistence.md "What an answer promises"): committed at once, shared by concurrent callers, and released — never
/// held for an outage — when a commit fails or runs past <see cref="PersistenceOptions.CommitWait"/>. Another connection
/// holding the write lock plays the database that fails or stops answering.
/// </summary>
public abstract class PersistenceWriterAnswerTests : StoreTestBase
{
    [Fact]
    public async Task WhenStoredAsync_is_true_once_the_changes_before_it_are_committed_without_waiting_for_MaxDelay()
    {
        await using var store = await StartStoreAsync(o => o.MaxDelay = TimeSpan.FromMinutes(5));
        for (var i = 0; i < 100; i++)
        {
            store.Writer.Enqueue(Delta($"c{i}", "n1", null, 1, "n1"));
        }

        // The wait is bounded far below MaxDelay: the commit is due at once, not after five minutes.
        Assert.True(await store.Writer.WhenStoredAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(100L, await Location.CountAsync("Assignments"));
    }

    [Fact]
    public async Task Concurrent_callers_of_WhenStoredAsync_each_find_their_own_change_committed()
    {
        await using var store = await StartStoreAsync(o => o.MaxDelay = TimeSpan.FromMinutes(5));
        var callers = Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            store.Writer.Enqueue(Delta($"c{i}", "n1", null, 1, "n1"));
            Assert.True(await store.Writer.WhenStoredAsync());
            await using var connection = await Location.OpenRawAsync();
            await using var query = connection.CreateCommand();
            query.CommandText = "SELECT COUNT(*) FROM \"Assignments\" WHERE \"ClientId\" = @id";
            var id = query.CreateParameter();
            (id.ParameterName, id.Value) = ("id", $"c{i}");
            query.Parameters.Add(id);
            return Convert.ToInt64(await query.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }));

        var found = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(found, rows => Assert.Equal(1L, rows));
    }

    [Fact]
    public async Task WhenStoredAsync_is_false_as_soon_as_the_commit_fails_and_the_change_is_written_once_the_database_is_back()
    {
        await using var store = await StartStoreAsync(o => o.MaxDelay = TimeSpan.FromMinutes(5));
        await ExecuteRawAsync("ALTER TABLE \"Assignments\" RENAME TO \"AssignmentsAway\""); // every write of the table fails
        store.Writer.Enqueue(Delta("c1", "n1", null, 1, "n1"));

        // False at the first failed attempt: a caller is not held for the outage (the writer retries for as long as it lasts).
        Assert.False(await store.Writer.WhenStoredAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(store.Writer.IsAvailable);

        await ExecuteRawAsync("ALTER TABLE \"AssignmentsAway\" RENAME TO \"Assignments\"");
        await store.Writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(store.Writer.IsAvailable);
        Assert.Equal(1L, await Location.CountAsync("Assignments"));
        store.Writer.Enqueue(Delta("c2", "n1", null, 1, "n1"));
        Assert.True(await store.Writer.WhenStoredAsync().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_commit_that_hangs_past_CommitWait_releases_the_waiting_answers_and_marks_the_database_unavailable()
    {
        await using var store = await StartStoreAsync(o => (o.MaxDelay, o.CommitWait, o.BusyTimeout) = (TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(2)));
        await using var holder = await HoldWriteLockAsync(); // the writer's commit waits behind it: a database that does not answer
        store.Writer.Enqueue(Delta("c1", "n1", null, 1, "n1"));
        var running = store.Writer.WhenStoredAsync();
        await WaitUntilAsync(() => store.Writer.IsCommitting, "the writer's commit under way");
        store.Writer.Enqueue(Delta("c2", "n1", null, 1, "n1"));
        var behind = store.Writer.WhenStoredAsync(); // the batch behind the hung commit

        Assert.False(await running.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(await behind.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(store.Writer.IsAvailable);
        var later = store.Writer.WhenStoredAsync();
        Assert.True(later.IsCompleted, "a caller during the outage is answered at once");
        Assert.False(await later);

        await holder.ReleaseAsync();
        await store.Writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(store.Writer.IsAvailable);
        Assert.Equal(2L, await Location.CountAsync("Assignments"));
    }

    [Fact]
    public async Task A_failed_commit_releases_the_answers_waiting_for_the_batch_behind_it_too()
    {
        // CommitWait far longer than the test: only the failure (SQLite's busy timeout, PostgreSQL's lock timeout) can release them.
        await using var store = await StartStoreAsync(o => (o.MaxDelay, o.CommitWait, o.BusyTimeout) = (TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500)));
        await using var holder = await HoldWriteLockAsync(lockTimeout: TimeSpan.FromMilliseconds(500));
        store.Writer.Enqueue(Delta("c1", "n1", null, 1, "n1"));
        var running = store.Writer.WhenStoredAsync();
        await WaitUntilAsync(() => store.Writer.IsCommitting, "the writer's commit under way");
        store.Writer.Enqueue(Delta("c2", "n1", null, 1, "n1"));
        var behind = store.Writer.WhenStoredAsync();

        Assert.False(await running.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(await behind.WaitAsync(TimeSpan.FromSeconds(30)), "the batch behind a failed commit waited for the outage");

        await holder.ReleaseAsync();
        await store.Writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2L, await Location.CountAsync("Assignments"));
    }

    /// <summary>
    /// Another connection holding the write lock of the node's tables: SQLite <c>BEGIN IMMEDIATE</c>, PostgreSQL an
    /// exclusive lock of <c>Assignments</c> (and, with <paramref name="lockTimeout"/>, the node's role waiting at most that
    /// long for a lock, so the writer's statement fails as SQLite's busy timeout makes it fail).
    /// </summary>
    private async Task<WriteLockHolder> HoldWriteLockAsync(TimeSpan? lockTimeout = null)
    {
        var connection = await Location.OpenRawAsync();
        if (Provider == PersistenceProvider.PostgreSql && lockTimeout is { } timeout)
        {
            await RunAsync(connection, $"ALTER ROLE CURRENT_USER SET lock_timeout = '{(int)timeout.TotalMilliseconds}ms'");
            NpgsqlClearPools(); // the writer's next connection reads the role's setting
        }

        await RunAsync(connection, Provider == PersistenceProvider.PostgreSql ? "BEGIN" : "BEGIN IMMEDIATE");
        if (Provider == PersistenceProvider.PostgreSql)
        {
            await RunAsync(connection, "LOCK TABLE \"Assignments\" IN ACCESS EXCLUSIVE MODE");
        }

        return new WriteLockHolder(connection, Provider == PersistenceProvider.PostgreSql && lockTimeout is not null);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited 30 s for {what}.");
            }

            await Task.Delay(10);
        }
    }

    private static void NpgsqlClearPools() => Npgsql.NpgsqlConnection.ClearAllPools();

    private static async Task RunAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test SQL over constant names.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync();
    }

    private sealed class WriteLockHolder(System.Data.Common.DbConnection connection, bool resetLockTimeout) : IAsyncDisposable
    {
        private bool _released;

        public async Task ReleaseAsync()
        {
            if (!_released)
            {
                _released = true;
                await RunAsync(connection, "COMMIT");
                if (resetLockTimeout)
                {
                    await RunAsync(connection, "ALTER ROLE CURRENT_USER RESET lock_timeout");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task WhenStoredAsync_is_false_before_start_and_after_stop()
    {
        var store = await StartStoreAsync();
        await store.Writer.StopAsync(CancellationToken.None);
        Assert.False(await store.Writer.WhenStoredAsync());
        await store.DisposeAsync();

        var options = Location.Options();
        var factory = NodeDatabaseProvider.CreateFactory(Location.Target(options), options);
        await using var notStarted = new PersistenceWriter(factory, new NodeDatabase(factory, Location.Target(options), Microsoft.Extensions.Logging.Abstractions.NullLogger<NodeDatabase>.Instance),
            options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<PersistenceWriter>.Instance);
        Assert.False(await notStarted.WhenStoredAsync());
    }

    private async Task ExecuteRawAsync(string sql)
    {
        await using var connection = await Location.OpenRawAsync();
        await RunAsync(connection, sql);
    }
}

/// <summary><see cref="PersistenceWriterAnswerTests"/> on SQLite.</summary>
public sealed class PersistenceWriterAnswerTestsSqlite : PersistenceWriterAnswerTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="PersistenceWriterAnswerTests"/> on PostgreSQL (a real server: <c>ClusterPortal.Testing.PostgresServer</c>).</summary>
[Trait("Category", "Process")]
public sealed class PersistenceWriterAnswerTestsPostgreSql : PersistenceWriterAnswerTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
