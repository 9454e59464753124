using ClusterEngine.Mirroring;
using ClusterEngine.Persistence;
using ClusterEngine.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using static ClusterEngine.Tests.Persistence.PersistenceRoundTripTests;

namespace ClusterEngine.Tests.Persistence;

/// <summary>The background writer: version rule, coalescing, flush, concurrency, and the database it opens.</summary>
public abstract class PersistenceWriterTests : StoreTestBase
{
    [Fact]
    public async Task Older_delta_arriving_later_does_not_overwrite_a_newer_row()
    {
        await using var store = await StartStoreAsync();
        store.Writer.Enqueue(Delta("c1", "n2", "n3", 6, "n2"));
        store.Writer.Enqueue(Delta("c2", "n1", "n2", 7, "n3"));
        await store.Writer.FlushAsync();

        store.Writer.Enqueue(Delta("c1", "n1", "n2", 5, "n9"));   // lower counter
        store.Writer.Enqueue(Delta("c2", "n2", "n1", 7, "n1"));   // equal counter, lower node id
        store.Writer.Enqueue(new AssignmentDelta("c1", null, null, new AssignmentVersion(4, "n1"), 0, AssignmentChangeReason.Removed));
        await store.Writer.FlushAsync();

        var rows = await Rows(store);
        Assert.Equal(("n2", 6L, "n2"), rows["c1"]);
        Assert.Equal(("n1", 7L, "n3"), rows["c2"]);
    }

    [Fact]
    public async Task A_relinquished_writer_writes_nothing_more_and_tells_whoever_waits()
    {
        // A node whose store another process took (NodeLockWatch) must not overwrite that process's rows, its graceful
        // leave included (found by attack: 1,954 statements after the node had logged that it lost its schema).
        await using var store = await StartStoreAsync();
        store.Writer.Enqueue(Delta("c1", "n1", "n2", 1, "n1"));
        await store.Writer.FlushAsync();

        store.Writer.Relinquish();
        store.Writer.Enqueue(Delta("c2", "n1", "n2", 1, "n1"));
        store.Writer.Enqueue(Delta("c1", "n3", "n2", 9, "n3"));
        var stored = store.Writer.WhenStoredAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.Writer.FlushAsync());

        Assert.False(await stored);
        var rows = await Rows(store);
        Assert.Equal(["c1"], rows.Keys);
        Assert.Equal(("n1", 1L, "n1"), rows["c1"]);
        await store.Writer.StopAsync(CancellationToken.None); // stops as usual
    }

    [Fact]
    public async Task Newer_delta_and_removal_replace_the_row_and_keep_a_tombstone()
    {
        await using var store = await StartStoreAsync();
        store.Writer.Enqueue(Delta("c1", "n1", "n2", 1, "n1"));
        await store.Writer.FlushAsync();
        store.Writer.Enqueue(Delta("c1", "n2", "n1", 1, "n2"));   // equal counter, higher node id
        await store.Writer.FlushAsync();
        Assert.Equal(("n2", 1L, "n2"), (await Rows(store))["c1"]);

        store.Writer.Enqueue(new AssignmentDelta("c1", null, null, new AssignmentVersion(2, "n1"), 0, AssignmentChangeReason.Removed));
        await store.Writer.FlushAsync();

        Assert.Equal((null, 2L, "n1"), (await Rows(store))["c1"]);
    }

    [Fact]
    public void Batch_keeps_the_newest_version_per_client_and_the_last_mirror_per_client()
    {
        var batch = new WriteBatch();
        batch.Add(Delta("c1", "n1", null, 3, "n1"));
        batch.Add(Delta("c1", "n2", null, 2, "n1"));
        batch.Add(Delta("c1", "n3", null, 4, "n1"));
        for (var i = 1; i <= 100; i++)
        {
            batch.Add(Whole("c1", (ulong)i, new MirrorEntry("k", (ulong)i, i, (ulong)i)));
        }

        batch.Add(Whole("c2", 1));
        batch.Add(new ClientRemoved("c2"));
        batch.Add(new ClientRemoved("c3"));
        batch.Add(Whole("c3", 7));

        Assert.Equal(107, batch.Received);
        Assert.Equal("n3", batch.Assignments["c1"].Primary);
        Assert.Equal("c1 @100: k=100/100@100", Describe(batch.Mirrors["c1"]!));
        Assert.Null(batch.Mirrors["c2"]);
        Assert.Equal(7UL, batch.Mirrors["c3"]!.Sequence);
    }

    [Fact]
    public async Task Coalesced_writes_in_one_batch_store_the_last_value()
    {
        // A long delay keeps everything in one batch until the flush.
        await using var store = await StartStoreAsync(o => o.MaxDelay = TimeSpan.FromMinutes(5));
        store.Writer.Enqueue(Whole("c1", 1, new MirrorEntry("old", 1, 1, 1)));
        await store.Writer.FlushAsync();

        for (var i = 2; i <= 500; i++)
        {
            store.Writer.Enqueue(Whole("c1", (ulong)i, new MirrorEntry("old", 1, 1, 1), new MirrorEntry("k", (ulong)i, i, (ulong)i)));
        }

        store.Writer.Enqueue(Whole("c1", 501, new MirrorEntry("k", 777, 7, 501)));
        await store.Writer.FlushAsync();

        var stored = Assert.Single((await store.Loader.LoadAsync()).Mirrors);
        Assert.Equal("c1 @501: k=777/7@501", Describe(stored));
    }

    [Fact]
    public async Task FlushAsync_returns_once_everything_queued_before_it_is_on_disk()
    {
        await using var store = await StartStoreAsync(o => o.MaxDelay = TimeSpan.FromMinutes(5));
        for (var i = 0; i < 1000; i++)
        {
            store.Writer.Enqueue(Delta($"c{i}", "n1", null, 1, "n1"));
        }

        await store.Writer.FlushAsync();

        // Read through a separate plain connection: committed, not just queued.
        Assert.Equal(1000L, await Location.CountAsync("Assignments"));
    }

    [Fact]
    public async Task Stop_drains_the_queue_and_later_changes_are_refused()
    {
        var store = await StartStoreAsync(o => o.MaxDelay = TimeSpan.FromMinutes(5));
        for (var i = 0; i < 300; i++)
        {
            store.Writer.Enqueue(Delta($"c{i}", "n1", null, 1, "n1"));
        }

        await store.Writer.StopAsync(CancellationToken.None);

        await store.Writer.FlushAsync(); // after stop: completes at once, the drain is done
        Assert.Throws<InvalidOperationException>(() => store.Writer.Enqueue(Delta("late", "n1", null, 1, "n1")));
        await store.DisposeAsync();
        await using var reopened = await StartStoreAsync();
        Assert.Equal(300, (await reopened.Loader.LoadAsync()).Assignments.Count);
    }

    [Fact]
    public async Task Cancelled_FlushAsync_throws_but_the_changes_are_still_written()
    {
        await using var store = await StartStoreAsync();
        store.Writer.Enqueue(Delta("c1", "n1", null, 1, "n1"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.Writer.FlushAsync(new CancellationToken(canceled: true)));
        await store.Writer.FlushAsync();

        Assert.Single((await store.Loader.LoadAsync()).Assignments);
    }

    [Fact]
    public async Task FlushAsync_before_start_is_refused()
    {
        var store = await StartStoreAsync();
        await store.DisposeAsync();
        var options = Location.Options();
        var factory = NodeDatabaseProvider.CreateFactory(Location.Target(options), options);
        await using var notStarted = new PersistenceWriter(factory, new NodeDatabase(factory, Location.Target(options), Microsoft.Extensions.Logging.Abstractions.NullLogger<NodeDatabase>.Instance),
            options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<PersistenceWriter>.Instance);

        await Assert.ThrowsAsync<InvalidOperationException>(() => notStarted.FlushAsync());
    }

    [Fact]
    public async Task Parallel_enqueues_from_many_tasks_are_all_persisted()
    {
        // Small batches force many transactions while 50 callers keep merging into the next one.
        await using var store = await StartStoreAsync(o => (o.QueueCapacity, o.MaxBatchSize) = (256, 100));
        using var writing = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 50).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                store.Writer.Enqueue(Whole($"client-{t}-{i % 20}", (ulong)i + 1, new MirrorEntry($"key-{i}", (ulong)i, i, (ulong)i + 1)));
                store.Writer.Enqueue(Delta($"client-{t}-{i}", "n1", "n2", i + 1, "n1"));
            }
        })).ToList();

        // Readers on other connections while the writer commits (WAL: readers never block the writer).
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var reads = 0;
            do
            {
                await using var db = await store.Factory.CreateDbContextAsync();
                await db.Mirrors.CountAsync();
                reads++;
            }
            while (!writing.IsCancellationRequested);
            return reads;
        })).ToList();

        // No caller may block behind a commit: 50 blocked callers hold 50 thread-pool threads, and on PostgreSQL the
        // writer's socket reads complete through the thread pool — a writer that blocked its callers took 36 s here
        // (thread injection adds about one thread a second) where merging into the pending batch takes about 1 s.
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(20)); // TimeoutException: the writer starved behind its blocked callers
        await writing.CancelAsync();
        await Task.WhenAll(readers);
        await store.Writer.FlushAsync();

        await using var check = await store.Factory.CreateDbContextAsync();
        Assert.Equal(1_000, await check.Mirrors.CountAsync());
        Assert.Equal(10_000, await check.Assignments.CountAsync());
        var last = (await store.Loader.LoadAsync()).Mirrors.Single(m => m.ClientId == "client-7-3");
        Assert.Equal("client-7-3 @184: key-183=183/183@184", Describe(last)); // i = 183 is the last i with i % 20 == 3
    }

    [Fact]
    public async Task A_batch_larger_than_one_transaction_is_written_whole_and_in_order()
    {
        // One batch (nothing is due before the flush) of 24,000 statements: three transactions of at most 10,000.
        await using var store = await StartStoreAsync(o => (o.MaxBatchSize, o.MaxDelay) = (1_000_000, TimeSpan.FromSeconds(10)));
        for (var i = 0; i < 12_000; i++)
        {
            store.Writer.Enqueue(Whole($"client-{i}", 1, new MirrorEntry($"key-{i}", (ulong)i, i, 1)));
            store.Writer.Enqueue(Delta($"client-{i}", "n1", "n2", 1, "n1"));
        }

        store.Writer.Enqueue(new ClientRemoved("client-11999")); // both after the transaction boundaries
        store.Writer.Enqueue(Whole("client-0", 2, new MirrorEntry("kept", 1, 1, 2)));
        for (var i = 0; i < 1_000; i++)
        {
            store.Writer.Enqueue(Delta($"client-{i}", "n2", "n1", 2, "n2")); // newer versions: the batch keeps these
        }

        await store.Writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60)); // TimeoutException: the writer keeps failing the batch

        await using var check = await store.Factory.CreateDbContextAsync();
        Assert.Equal(12_000 - 1, await check.Mirrors.CountAsync());
        Assert.Equal("client-0 @2: kept=1/1@2", Describe((await store.Loader.LoadAsync()).Mirrors.Single(m => m.ClientId == "client-0")));
        var rows = await Rows(store);
        Assert.Equal(12_000, rows.Count);
        Assert.Equal(1_000, rows.Values.Count(r => r == ("n2", 2L, "n2")));
    }

    [Fact]
    public async Task Database_is_created_by_the_providers_migrations()
    {
        await using var store = await StartStoreAsync();
        await store.Writer.FlushAsync();

        await using var connection = await Location.OpenRawAsync();
        await using var history = connection.CreateCommand();
        history.CommandText = "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\"";
        var migration = (string?)await history.ExecuteScalarAsync();
        Assert.EndsWith("_Initial", migration);

        await using var db = await store.Factory.CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(Provider == PersistenceProvider.PostgreSql ? typeof(PostgreSqlNodeDbContext) : typeof(SqliteNodeDbContext), db.GetType());
    }

    [Fact]
    public async Task A_database_from_before_CompactMirrors_upgrades_keeping_its_assignments_and_dropping_the_old_mirror_rows()
    {
        // The node's database as the previous release left it: per-entry mirror rows and a sequence row per client.
        await using (var store = await StartStoreAsync())
        {
            store.Writer.Enqueue(Delta("c1", "n1", "n2", 3, "n1"));
            await store.Writer.FlushAsync();
            await using var db = await store.Factory.CreateDbContextAsync();
            var before = db.Database.GetMigrations().Last(m => m.EndsWith("_MemberZone", StringComparison.Ordinal));
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(before);
        }

        await using (var connection = await Location.OpenRawAsync())
        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT INTO "MirrorClients" ("ClientId", "Sequence", "SyncedSequence") VALUES ('c1', 4294967297, 0);
                INSERT INTO "MirrorEntries" ("ClientId", "Key", "Validator", "Size", "Sequence", "LastUsedUtc") VALUES ('c1', 'a', 1, 10, 4294967297, 0);
                """;
            Assert.Equal(2, await insert.ExecuteNonQueryAsync());
        }

        // The next start migrates: the assignment stays, the old mirror rows are gone (nothing vouched for), mirrors are written again.
        await using var upgraded = await StartStoreAsync();
        var snapshot = await upgraded.Loader.LoadAsync();
        Assert.Equal("n1", Assert.Single(snapshot.Assignments).Primary);
        Assert.Empty(snapshot.Mirrors);
        upgraded.Writer.Enqueue(Whole("c1", 5, new MirrorEntry("a", 1, 10, 5)));
        await upgraded.Writer.FlushAsync();
        Assert.Equal("c1 @5: a=1/10@5", Describe(Assert.Single(await upgraded.Loader.ReadMirrorsAsync())));
    }

    [Fact]
    public async Task A_database_from_before_AssignmentRegistration_upgrades_its_assignments_with_an_unknown_registration()
    {
        // The previous release stored no registration: its rows come back as 0 (unknown: tokens are not checked against it,
        // docs/architecture.md §5), and the next change of the row stores the one it carries.
        await using (var store = await StartStoreAsync())
        {
            store.Writer.Enqueue(Delta("c1", "n1", "n2", 3, "n1") with { Registration = 3 });
            await store.Writer.FlushAsync();
            await using var db = await store.Factory.CreateDbContextAsync();
            var before = db.Database.GetMigrations().Last(m => m.EndsWith("_CompactMirrors", StringComparison.Ordinal));
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(before);
        }

        await using var upgraded = await StartStoreAsync();
        var stored = Assert.Single((await upgraded.Loader.LoadAsync()).Assignments);
        Assert.Equal(("n1", 3L, 0L), (stored.Primary, stored.Version.Counter, stored.Registration));

        upgraded.Writer.Enqueue(Delta("c1", "n2", "n1", 4, "n2") with { Registration = 4 });
        await upgraded.Writer.FlushAsync();
        Assert.Equal(4L, Assert.Single((await upgraded.Loader.LoadAsync()).Assignments).Registration);
    }

    private static async Task<Dictionary<string, (string? Primary, long Counter, string NodeId)>> Rows(NodeStore store)
    {
        await using var db = await store.Factory.CreateDbContextAsync();
        return await db.Assignments.AsNoTracking()
            .ToDictionaryAsync(a => a.ClientId, a => (a.Primary, a.VersionCounter, a.VersionNodeId));
    }
}

/// <summary><see cref="PersistenceWriterTests"/> on SQLite.</summary>
public sealed class PersistenceWriterTestsSqlite : PersistenceWriterTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="PersistenceWriterTests"/> on PostgreSQL (a real server: <c>ClusterPortal.Testing.PostgresServer</c>).</summary>
[Trait("Category", "Process")]
public sealed class PersistenceWriterTestsPostgreSql : PersistenceWriterTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
