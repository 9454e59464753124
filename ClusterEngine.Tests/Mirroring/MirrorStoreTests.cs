using ClusterEngine.Mirroring;
using ClusterEngine.Tests.Persistence;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>
/// <see cref="MirrorStore"/>: what the mirror holds in memory is what SQLite holds after a flush (evictions, dropped
/// doubtful entries, new lineages, clears, removals), and a restart loads it back at the sequence that reached the
/// store — vouching for what that sequence names and nothing written after it (issue 14 item 3).
/// </summary>
public sealed class MirrorStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private NodeStore _store = null!;

    public async Task InitializeAsync() => _store = await NodeStore.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private MirrorStore NewStore(int maxEntries = 3) => new(NewMirror(maxEntries), TimeProvider.System, _store.Writer);

    private async Task<string[]> StoredAsync(string clientId)
    {
        await _store.Writer.FlushAsync();
        foreach (var stored in await _store.Loader.ReadMirrorsAsync())
        {
            if (stored.ClientId == clientId)
            {
                return [.. stored.Entries.Select(e => $"{e.Key}:{e.Validator}").Order(StringComparer.Ordinal)];
            }
        }

        return [];
    }

    private static string[] InMemory(MirrorStore store, string clientId) =>
        [.. store.Mirror.Entries(clientId).Select(e => $"{e.Key}:{e.Validator}").Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Evicted_entries_leave_sqlite_too()
    {
        var store = NewStore(maxEntries: 2);
        var s = store.Record(TestClient, "a", 1, 10, null);
        s = store.Record(TestClient, "b", 2, 10, s);
        store.Record(TestClient, "c", 3, 10, s);

        Assert.Equal(["b:2", "c:3"], InMemory(store, TestClient));
        Assert.Equal(InMemory(store, TestClient), await StoredAsync(TestClient));
    }

    [Fact]
    public async Task A_new_lineage_and_dropped_doubtful_entries_leave_sqlite_too()
    {
        var store = NewStore();
        var s1 = store.Record(TestClient, "a", 1, 10, null);
        store.Record(TestClient, "b", 2, 10, s1);
        store.Record(TestClient, "c", 3, 10, s1); // echoes s1: b may never have arrived
        Assert.Equal(InMemory(store, TestClient), await StoredAsync(TestClient));
        Assert.Equal(["a:1", "c:3"], InMemory(store, TestClient));

        store.Record(TestClient, "d", 4, 10, null); // no echo: a new lineage

        Assert.Equal(["d:4"], await StoredAsync(TestClient));
    }

    [Fact]
    public async Task Clear_and_remove_are_stored()
    {
        var store = NewStore();
        store.Record(TestClient, "a", 1, 10, null);
        store.Record("device-2", "a", 1, 10, null);

        var cleared = store.Clear(TestClient);
        store.Remove("device-2");

        Assert.NotEqual(0UL, cleared);
        Assert.Equal(cleared, store.Mirror.CurrentSequence(TestClient));
        Assert.Empty(await StoredAsync(TestClient));
        Assert.Empty(await StoredAsync("device-2"));
        Assert.NotEqual(0UL, store.Clear("never-seen"));
    }

    [Fact]
    public async Task Restore_keeps_vouching_for_the_stored_sequence_and_continues_in_a_new_lineage()
    {
        var store = NewStore();
        var s = store.Record(TestClient, "a", 1, 10, null);
        s = store.Record(TestClient, "b", 2, 20, s);
        await _store.Writer.FlushAsync();

        var restarted = NewStore();
        var count = await restarted.RestoreAsync(_store.Loader);

        Assert.Equal(1, count);
        Assert.Equal(["a:1", "b:2"], InMemory(restarted, TestClient));
        Assert.Equal(s, restarted.Mirror.CurrentSequence(TestClient));
        Assert.True(restarted.Decide(TestClient, "a", 1, s).UseCachedCopy);
        Assert.True(restarted.Decide(TestClient, "b", 2, s).UseCachedCopy);
        Assert.False(restarted.Decide(TestClient, "b", 3, s).UseCachedCopy);

        // The node may have sent numbers after s before it stopped: it never issues them again.
        var next = restarted.Record(TestClient, "c", 3, 10, s);
        Assert.NotEqual(s >> 32, next >> 32);
        Assert.Equal(["a:1", "b:2", "c:3"], InMemory(restarted, TestClient));
    }

    [Fact]
    public async Task A_damaged_stored_mirror_is_left_out_and_the_others_are_restored()
    {
        var store = NewStore();
        var s = store.Record(TestClient, "a", 1, 10, null);
        await _store.Writer.FlushAsync();
        await using (var db = await _store.Factory.CreateDbContextAsync())
        {
            db.Mirrors.Add(new ClusterEngine.Persistence.Model.MirrorRow { ClientId = "damaged", Sequence = 5, Entries = [1, 3, 1, 0xC3] });
            db.Mirrors.Add(new ClusterEngine.Persistence.Model.MirrorRow { ClientId = "unknown-format", Sequence = 5, Entries = [9] });
            await db.SaveChangesAsync();
        }

        var restarted = NewStore();
        Assert.Equal(1, await restarted.RestoreAsync(_store.Loader));

        Assert.Equal(["a:1"], InMemory(restarted, TestClient));
        Assert.True(restarted.Decide(TestClient, "a", 1, s).UseCachedCopy);
        Assert.Equal(0UL, restarted.Mirror.CurrentSequence("damaged"));
        Assert.Equal(0UL, restarted.Mirror.CurrentSequence("unknown-format"));
    }

    [Fact]
    public async Task Entries_kept_through_a_fork_survive_a_restart()
    {
        // An alternate merged the primary's history, then served the client itself (a failover): the first change forks.
        var store = NewStore(maxEntries: 8);
        store.Merge(new MirrorSnapshot(TestClient, true, 0, 0x0000_0007_0000_0002,
            [new MirrorEntry("a", 1, 10, 0x0000_0007_0000_0001), new MirrorEntry("b", 2, 10, 0x0000_0007_0000_0002)]));
        var s = store.Record(TestClient, "c", 3, 10, 0x0000_0007_0000_0002);
        await _store.Writer.FlushAsync();

        var restarted = NewStore(maxEntries: 8);
        await restarted.RestoreAsync(_store.Loader);

        Assert.Equal(["a:1", "b:2", "c:3"], InMemory(restarted, TestClient));
        Assert.True(restarted.Decide(TestClient, "a", 1, s).UseCachedCopy);
    }

    [Fact]
    public async Task A_stored_mirror_at_sequence_zero_comes_back_but_vouches_for_nothing()
    {
        _store.Writer.Enqueue(new MirrorSnapshot(TestClient, true, 0, 0, [new MirrorEntry("a", 1, 10, 0x0000_0003_0000_0001)]));
        await _store.Writer.FlushAsync();

        var restarted = NewStore();
        await restarted.RestoreAsync(_store.Loader);

        Assert.Equal(["a:1"], InMemory(restarted, TestClient));
        Assert.False(restarted.Decide(TestClient, "a", 1, 0x0000_0003_0000_0001).UseCachedCopy);
    }
}
