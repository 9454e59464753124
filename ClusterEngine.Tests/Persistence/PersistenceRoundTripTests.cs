using ClusterEngine.Membership;
using ClusterEngine.Persistence;
using ClusterEngine.Placement;

namespace ClusterEngine.Tests.Persistence;

/// <summary>Every change record written through the writer comes back from the loader unchanged.</summary>
public abstract class PersistenceRoundTripTests : StoreTestBase
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, 123, TimeSpan.Zero);
    [Fact]
    public async Task Every_record_kind_round_trips()
    {
        var member = new MemberRecord("n2", "http://127.0.0.1:5102", "Node two", 500, 2, NodeMode.Maintenance, false, 1234, "n1", Zone: "rack-b");
        var plain = new MemberRecord("n1", "http://127.0.0.1:5101", "n1", 1000, 1, NodeMode.Active, true, 99, "n2");
        var assigned = Delta("c1", "n1", "n2", 3, "n1");
        var removed = new AssignmentDelta("c2", null, null, new AssignmentVersion(4, "n2"), 1, AssignmentChangeReason.Removed);
        var entry = new MirrorEntryRecord("c1", "items/a.json", ulong.MaxValue - 5, 4096, ulong.MaxValue, T0);
        var other = new MirrorEntryRecord("c1", "items/b.json", 0x81b69dda2f09a3e5, 5, 7, T0.AddSeconds(1));
        var client = new MirrorClientRecord("c1", ulong.MaxValue - 1, 1UL << 63);

        await using (var store = await StartStoreAsync())
        {
            store.Writer.Enqueue(member);
            store.Writer.Enqueue(plain);
            store.Writer.Enqueue(assigned);
            store.Writer.Enqueue(removed);
            store.Writer.Enqueue(entry);
            store.Writer.Enqueue(other);
            store.Writer.Enqueue(client);
            await store.Writer.FlushAsync();

            var snapshot = await store.Loader.LoadAsync();

            Assert.Equal([plain, member], snapshot.Members);
            Assert.Equal([assigned, removed], snapshot.Assignments.OrderBy(d => d.ClientId, StringComparer.Ordinal));
            Assert.True(snapshot.Assignments.Single(d => d.ClientId == "c2").IsRemoval);
            Assert.Equal([entry, other], snapshot.MirrorEntries["c1"]);
            Assert.Equal([client], snapshot.MirrorClients);
        }
    }

    [Fact]
    public async Task Deletions_round_trip()
    {
        await using var store = await StartStoreAsync();
        store.Writer.Enqueue(new MirrorEntryRecord("c1", "a", 1, 1, 1, T0));
        store.Writer.Enqueue(new MirrorEntryRecord("c1", "b", 2, 2, 2, T0));
        store.Writer.Enqueue(new MirrorEntryRecord("c2", "a", 3, 3, 3, T0));
        store.Writer.Enqueue(new MirrorEntryRecord("c3", "a", 4, 4, 4, T0));
        store.Writer.Enqueue(new MirrorClientRecord("c2", 3, 3));
        store.Writer.Enqueue(new MirrorClientRecord("c3", 4, 4));
        await store.Writer.FlushAsync();

        store.Writer.Enqueue(new MirrorEntryRemoved("c1", "a"));
        store.Writer.Enqueue(new MirrorCleared("c2"));
        store.Writer.Enqueue(new ClientRemoved("c3"));
        await store.Writer.FlushAsync();

        var snapshot = await store.Loader.LoadAsync();
        Assert.Equal(["b"], snapshot.MirrorEntries["c1"].Select(e => e.Key));
        Assert.False(snapshot.MirrorEntries.ContainsKey("c2"));
        Assert.False(snapshot.MirrorEntries.ContainsKey("c3"));
        Assert.Equal(["c2"], snapshot.MirrorClients.Select(c => c.ClientId));
    }

    internal static AssignmentDelta Delta(string client, string primary, string? alternate, long counter, string origin) =>
        new(client, primary, alternate, new AssignmentVersion(counter, origin), 0, AssignmentChangeReason.Assigned);
}

/// <summary><see cref="PersistenceRoundTripTests"/> on SQLite.</summary>
public sealed class PersistenceRoundTripTestsSqlite : PersistenceRoundTripTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="PersistenceRoundTripTests"/> on PostgreSQL (a real server: <c>ClusterPortal.Testing.PostgresServer</c>).</summary>
[Trait("Category", "Process")]
public sealed class PersistenceRoundTripTestsPostgreSql : PersistenceRoundTripTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
