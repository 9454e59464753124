using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using ClusterEngine.Persistence;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Persistence;

/// <summary>docs/architecture.md §9: a restarted node loads the state it wrote before it stopped.</summary>
public abstract class PersistenceRestartTests : StoreTestBase
{
    [Fact]
    public async Task Restarted_node_rebuilds_the_same_cluster_state()
    {
        var original = TestCluster.Create(400, 400, 400);
        await using (var store = await StartStoreAsync())
        {
            foreach (var node in original.Nodes)
            {
                store.Writer.Enqueue(TempNodeStore.MemberOf(node));
            }

            for (var i = 0; i < 600; i++)
            {
                var change = original.Announce($"c{i:D4}").Change;
                Assert.NotNull(change);
                store.Writer.Enqueue(change);
                store.Writer.Enqueue(PersistenceRoundTripTests.Whole($"c{i:D4}", (ulong)i + 1, new MirrorEntry("k", (ulong)i, i, (ulong)i + 1)));
            }

            for (var i = 0; i < 600; i += 7)
            {
                store.Writer.Enqueue(original.Remove($"c{i:D4}")!);
                store.Writer.Enqueue(new ClientRemoved($"c{i:D4}"));
            }

            // Some removed ids are announced again (another device): a new registration, which tokens are bound to.
            for (var i = 0; i < 600; i += 70)
            {
                var again = original.Announce($"c{i:D4}").Change!;
                Assert.True(again.Registration > 0);
                store.Writer.Enqueue(again);
                store.Writer.Enqueue(PersistenceRoundTripTests.Whole($"c{i:D4}", 1));
            }
        }

        // A new process: new writer and loader on the same directory.
        await using var restarted = await StartStoreAsync();
        var rebuilt = new ClusterState("n1", new ClusterOptions());
        rebuilt.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:5101", 400, Order: 0)); // the host describes itself
        var read = await restarted.Loader.RestoreAsync(rebuilt);
        var snapshot = await restarted.Loader.LoadAsync();

        Assert.Equal(600, read);
        Assert.All(original.Assignments(), a => Assert.Equal(a.Registration, rebuilt.RegistrationOf(a.ClientId)));
        Assert.Equal(Sorted(original), Sorted(rebuilt));
        Assert.Equal(original.ClientCount, rebuilt.ClientCount);
        Assert.Equal(original.Clock, rebuilt.Clock);
        Assert.Equal(original.Nodes.Select(n => (n.NodeId, n.PrimaryCount, n.AlternateCount)),
            rebuilt.Nodes.Select(n => (n.NodeId, n.PrimaryCount, n.AlternateCount)));
        Assert.Equal(original.ClientCount, snapshot.Mirrors.Count);
        Assert.Equal("c0001 @2: k=1/1@2", PersistenceRoundTripTests.Describe(snapshot.Mirrors.Single(m => m.ClientId == "c0001")));
    }

    [Fact]
    public async Task A_restart_restores_when_each_client_was_last_seen_not_the_restart()
    {
        // Before, every restart counted every loaded client as seen at the restart: a cluster restarted more often than
        // Cluster:ClientIdleTimeout never removed an idle client (docs/architecture.md §5).
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow); // the writer stamps new rows with the system clock
        var options = new ClusterOptions { ClientIdleTimeout = TimeSpan.FromDays(7) };
        var original = View(options, clock);
        await using (var store = await StartStoreAsync())
        {
            foreach (var id in new[] { "idle", "seen", "failed-over", "removed" })
            {
                store.Writer.Enqueue(original.Announce(id).Change!);
            }

            await store.Writer.FlushAsync(); // created: stamped as seen now
            clock.Advance(TimeSpan.FromDays(3));
            original.Route("seen");
            original.Route("removed");
            var removal = original.Remove("removed")!;
            foreach (var seen in original.TakeSeenToStore())
            {
                store.Writer.Enqueue(seen);
            }

            store.Writer.Enqueue(removal);
            store.Writer.Enqueue(new ClientSeen("removed", clock.GetUtcNow().ToUnixTimeSeconds())); // late: a tombstone keeps no time
            var moved = original.GetAssignment("failed-over")!;
            store.Writer.Enqueue(new AssignmentDelta("failed-over", moved.Primary, null, new AssignmentVersion(moved.Version.Counter + 1, "n1"), 0,
                AssignmentChangeReason.FailedOver, moved.Registration)); // a change of a live row is not a sighting
            await store.Writer.FlushAsync();
        }

        clock.Advance(TimeSpan.FromDays(2)); // restarted on day 5
        await using var restarted = await StartStoreAsync();
        var rebuilt = View(options, clock);
        await restarted.Loader.RestoreAsync(rebuilt);
        Assert.Equal(0.35, rebuilt.SeenStep / 86_400.0, 3); // a twentieth of the timeout

        clock.Advance(TimeSpan.FromDays(2.5)); // day 7.5: a week and one store step after the placement
        Assert.Equal(["failed-over", "idle"], rebuilt.ExpireIdle(options.ClientIdleTimeout).Select(r => r.ClientId).Order(StringComparer.Ordinal));
        Assert.Null(rebuilt.GetAssignment("removed"));
        Assert.NotNull(rebuilt.GetAssignment("seen"));
        clock.Advance(TimeSpan.FromDays(3)); // day 10.5: a week and one step after it was seen
        Assert.Equal(["seen"], rebuilt.ExpireIdle(options.ClientIdleTimeout).Select(r => r.ClientId));
    }

    [Fact]
    public async Task A_stored_time_out_of_range_does_not_stop_the_restore()
    {
        // A damaged or edited LastSeenUtc beyond what a DateTimeOffset holds threw while the rows were read: the node could
        // not start. Now the time is clamped and the client restored.
        var state = new ClusterState("n1", new ClusterOptions());
        state.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:5101", 100, Order: 0));
        await using (var store = await StartStoreAsync())
        {
            store.Writer.Enqueue(state.Announce("far-future").Change!);
            store.Writer.Enqueue(state.Announce("far-past").Change!);
            await store.Writer.FlushAsync();
        }

        await using (var raw = await Location.OpenRawAsync())
        {
            await using var update = raw.CreateCommand();
            update.CommandText = """
                UPDATE "Assignments" SET "LastSeenUtc" = CASE "ClientId" WHEN 'far-future' THEN 9223372036854775807 ELSE -9223372036854775807 END
                """;
            Assert.Equal(2, await update.ExecuteNonQueryAsync());
        }

        await using var restarted = await StartStoreAsync();
        var rebuilt = new ClusterState("n1", new ClusterOptions());
        rebuilt.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:5101", 100, Order: 0));
        Assert.Equal(2, await restarted.Loader.RestoreAsync(rebuilt));
        Assert.NotNull(rebuilt.GetAssignment("far-future"));
        Assert.NotNull(rebuilt.GetAssignment("far-past"));
    }

    private static ClusterState View(ClusterOptions options, TimeProvider clock)
    {
        var state = new ClusterState("n1", options, time: clock);
        state.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:5101", 100, Order: 0));
        return state;
    }

    private static List<string> Sorted(ClusterState state) =>
        [.. state.Assignments().Select(a => $"{a.ClientId}:{a.Primary}:{a.Alternate}:{a.Version}:{a.Bounces}:{a.Registration}").Order(StringComparer.Ordinal)];
}

/// <summary><see cref="PersistenceRestartTests"/> on SQLite.</summary>
public sealed class PersistenceRestartTestsSqlite : PersistenceRestartTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;

    [Fact]
    public async Task An_upgraded_store_counts_its_live_clients_as_seen_at_the_upgrade()
    {
        // LastSeenUtc held the time of an assignment's last change and was never read; read as a sighting after an
        // upgrade it made a client placed weeks ago, seen every day since, idle at once.
        var options = Location.Options();
        var target = Location.Target(options);
        var factory = NodeDatabaseProvider.CreateFactory(target, options);
        await using (var db = await factory.CreateDbContextAsync())
        {
            var migrations = Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetMigrations(db.Database).ToList();
            await Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>(db.Database)
                .MigrateAsync(migrations[migrations.IndexOf(migrations.Single(m => m.EndsWith("_LastSeenFromUpgrade", StringComparison.Ordinal))) - 1]);
        }

        var monthAgo = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeMilliseconds();
        await using (var raw = await Location.OpenRawAsync())
        {
            await using var insert = raw.CreateCommand();
            insert.CommandText = $"""
                INSERT INTO "Assignments" ("ClientId", "Primary", "Alternate", "VersionCounter", "VersionNodeId", "Bounces", "Reason", "LastSeenUtc", "Registration")
                VALUES ('old-live', 'n1', NULL, 5, 'n1', 0, 0, {monthAgo}, 5), ('old-removed', NULL, NULL, 6, 'n1', 0, 0, {monthAgo}, 5)
                """;
            await insert.ExecuteNonQueryAsync();
        }

        await using var store = await StartStoreAsync(); // migrates to the current schema
        var state = new ClusterState("n1", new ClusterOptions());
        state.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:5101", 100, Order: 0));
        await store.Loader.RestoreAsync(state);

        Assert.Empty(state.ExpireIdle(TimeSpan.FromDays(7)));
        Assert.NotNull(state.GetAssignment("old-live"));
        await using var check = await Location.OpenRawAsync();
        await using var read = check.CreateCommand();
        read.CommandText = """SELECT "ClientId", "LastSeenUtc" FROM "Assignments" ORDER BY "ClientId" """;
        await using var rows = await read.ExecuteReaderAsync();
        Assert.True(await rows.ReadAsync());
        Assert.Equal("old-live", rows.GetString(0));
        Assert.InRange(rows.GetInt64(1), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.True(await rows.ReadAsync());
        Assert.Equal(monthAgo, rows.GetInt64(1)); // a tombstone keeps its time
    }
}

/// <summary><see cref="PersistenceRestartTests"/> on PostgreSQL (a real server: <c>ClusterPortal.Testing.PostgresServer</c>).</summary>
[Trait("Category", "Process")]
public sealed class PersistenceRestartTestsPostgreSql : PersistenceRestartTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
