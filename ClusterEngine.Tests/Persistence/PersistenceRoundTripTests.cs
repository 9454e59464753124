using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
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
        var assigned = Delta("c1", "n1", "n2", 3, "n1") with { Registration = 2 };
        var removed = new AssignmentDelta("c2", null, null, new AssignmentVersion(4, "n2"), 1, AssignmentChangeReason.Removed, Registration: 4);
        var mirror = Whole("c1", ulong.MaxValue - 1,
            new MirrorEntry("items/a.json", ulong.MaxValue - 5, 4096, ulong.MaxValue),
            new MirrorEntry("items/b.json", 0x81b69dda2f09a3e5, 5, 7),
            new MirrorEntry("ünïcödé/ключ", 0, long.MaxValue, 0),
            new MirrorEntry("", 1, 0, 1));
        var empty = Whole("c3", 1UL << 63);

        await using (var store = await StartStoreAsync())
        {
            store.Writer.Enqueue(member);
            store.Writer.Enqueue(plain);
            store.Writer.Enqueue(assigned);
            store.Writer.Enqueue(removed);
            store.Writer.Enqueue(mirror);
            store.Writer.Enqueue(empty);
            await store.Writer.FlushAsync();

            var snapshot = await store.Loader.LoadAsync();

            Assert.Equal([plain, member], snapshot.Members);
            Assert.Equal([assigned, removed], snapshot.Assignments.OrderBy(d => d.ClientId, StringComparer.Ordinal));
            Assert.True(snapshot.Assignments.Single(d => d.ClientId == "c2").IsRemoval);
            Assert.Equal([Describe(mirror), Describe(empty)], snapshot.Mirrors.OrderBy(m => m.ClientId, StringComparer.Ordinal).Select(Describe));
        }
    }

    [Fact]
    public async Task The_last_whole_mirror_replaces_the_row_and_a_removal_deletes_it()
    {
        await using var store = await StartStoreAsync();
        store.Writer.Enqueue(Whole("c1", 1, new MirrorEntry("a", 1, 1, 1), new MirrorEntry("b", 2, 2, 1)));
        store.Writer.Enqueue(Whole("c2", 3, new MirrorEntry("a", 3, 3, 3)));
        store.Writer.Enqueue(Whole("c3", 4, new MirrorEntry("a", 4, 4, 4)));
        await store.Writer.FlushAsync();

        store.Writer.Enqueue(Whole("c1", 2, new MirrorEntry("b", 2, 2, 1)));
        store.Writer.Enqueue(Whole("c2", 5));
        store.Writer.Enqueue(new ClientRemoved("c3"));
        await store.Writer.FlushAsync();

        var snapshot = await store.Loader.LoadAsync();
        Assert.Equal(["c1 @2: b=2/2@1", "c2 @5:"], snapshot.Mirrors.OrderBy(m => m.ClientId, StringComparer.Ordinal).Select(Describe));
    }

    [Fact]
    public async Task A_delta_is_refused_by_the_writer()
    {
        await using var store = await StartStoreAsync();
        var delta = new MirrorSnapshot("c1", IsFull: false, BaseSequence: 1, Sequence: 2, [new MirrorEntry("a", 1, 1, 2)]);
        Assert.Throws<ArgumentException>(() => store.Writer.Enqueue(delta));
    }

    internal static MirrorSnapshot Whole(string clientId, ulong sequence, params MirrorEntry[] entries) =>
        new(clientId, IsFull: true, BaseSequence: 0, sequence, entries);

    /// <summary>A mirror as text, for comparisons (a record's list compares by reference).</summary>
    internal static string Describe(MirrorSnapshot m) =>
        $"{m.ClientId} @{m.Sequence}:{string.Concat(m.Entries.Select(e => $" {e.Key}={e.Validator}/{e.SizeBytes}@{e.Sequence}"))}" + (m.IsFull ? "" : " (delta)");

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
