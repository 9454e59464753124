using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using ClusterEngine.Persistence;
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

    private static List<string> Sorted(ClusterState state) =>
        [.. state.Assignments().Select(a => $"{a.ClientId}:{a.Primary}:{a.Alternate}:{a.Version}:{a.Bounces}:{a.Registration}").Order(StringComparer.Ordinal)];
}

/// <summary><see cref="PersistenceRestartTests"/> on SQLite.</summary>
public sealed class PersistenceRestartTestsSqlite : PersistenceRestartTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="PersistenceRestartTests"/> on PostgreSQL (a real server: <c>ClusterPortal.Testing.PostgresServer</c>).</summary>
[Trait("Category", "Process")]
public sealed class PersistenceRestartTestsPostgreSql : PersistenceRestartTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
