using ClusterEngine.Mirroring;
using ClusterEngine.Tests.Persistence;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>
/// <see cref="MirrorStore"/>: what the mirror holds in memory is what SQLite holds after a flush (evictions, dropped
/// doubtful entries, new lineages, clears, removals), and a restart loads it back under a fresh lineage.
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
        await foreach (var perClient in _store.Loader.ReadMirrorEntriesAsync())
        {
            if (perClient[0].ClientId == clientId)
            {
                return [.. perClient.Select(e => $"{e.Key}:{e.Validator}").Order(StringComparer.Ordinal)];
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
    public async Task Restore_brings_entries_back_under_a_new_lineage_that_no_old_echo_matches()
    {
        var store = NewStore();
        var s = store.Record(TestClient, "a", 1, 10, null);
        s = store.Record(TestClient, "b", 2, 20, s);
        await _store.Writer.FlushAsync();

        var restarted = NewStore();
        var count = await restarted.RestoreAsync(_store.Loader);

        Assert.Equal(1, count);
        Assert.Equal(["a:1", "b:2"], InMemory(restarted, TestClient));
        Assert.False(restarted.Decide(TestClient, "a", 1, s).UseCachedCopy);
        Assert.NotEqual(s, restarted.Mirror.CurrentSequence(TestClient));
    }
}
