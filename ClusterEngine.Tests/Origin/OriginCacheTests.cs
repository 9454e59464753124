using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Origin;

public sealed class OriginCacheTests : IDisposable
{
    private readonly CountingOrigin _origin = new();
    private readonly FakeTimeProvider _time = new();
    private readonly OriginCache _cache;

    public OriginCacheTests()
    {
        _origin.Set("a.txt", "aaaaaaaaaa"); // 10 bytes
        _origin.Set("b.txt", "bbbbbbbbbb");
        _origin.Set("c.txt", "cccccccccc");
        _cache = NewCache(cacheBytes: 25);
    }

    public void Dispose() => _cache.Dispose();

    [Fact]
    public async Task Fig9_step910_a_fresh_item_is_served_from_memory()
    {
        var first = await Get("a.txt");
        var second = await Get("a.txt");

        Assert.Same(first, second);
        Assert.Equal(1, _origin.Reads);
    }

    [Fact]
    public async Task After_the_revalidate_interval_the_origin_is_asked_with_the_held_version()
    {
        var first = await Get("a.txt");
        _time.Advance(TimeSpan.FromSeconds(1));

        var second = await Get("a.txt");

        Assert.Same(first, second);
        Assert.Equal(2, _origin.Reads);
        Assert.Same(first, _origin.CachedArguments[^1]);
    }

    [Fact]
    public async Task Invalidate_makes_the_next_read_see_the_change()
    {
        await Get("a.txt");
        _origin.Set("a.txt", "changed");

        _cache.Invalidate(ItemKey.Parse("a.txt"));

        Assert.Equal("changed"u8.ToArray(), (await Get("a.txt"))!.Content.ToArray());
    }

    [Fact]
    public async Task Origin_change_events_invalidate_one_key_or_everything()
    {
        await Get("a.txt");
        await Get("b.txt");
        _origin.Set("a.txt", "changed");
        _origin.Set("b.txt", "changed too");

        _origin.RaiseChanged("a.txt");
        Assert.Equal(7, (await Get("a.txt"))!.Length);
        Assert.Equal(10, (await Get("b.txt"))!.Length);

        _origin.RaiseChanged(null);
        Assert.Equal(11, (await Get("b.txt"))!.Length);
    }

    [Fact]
    public async Task Total_bytes_stay_within_the_bound_least_recently_used_out()
    {
        await Get("a.txt");
        await Get("b.txt");
        await Get("a.txt"); // a is now more recent than b

        await Get("c.txt");

        Assert.Equal(2, _cache.Count);
        Assert.Equal(20, _cache.SizeBytes);
        var reads = _origin.Reads;
        await Get("a.txt");
        Assert.Equal(reads, _origin.Reads);
        await Get("b.txt");
        Assert.Equal(reads + 1, _origin.Reads);
    }

    [Fact]
    public async Task Items_larger_than_the_cache_are_served_but_not_kept()
    {
        using var small = NewCache(cacheBytes: 5);

        Assert.NotNull(await small.GetAsync(ItemKey.Parse("a.txt"), default));

        Assert.Equal(0, small.Count);
        Assert.Equal(0, small.SizeBytes);
    }

    [Fact]
    public async Task An_item_the_origin_no_longer_has_is_dropped()
    {
        await Get("a.txt");
        _origin.Remove("a.txt");
        _cache.Invalidate(ItemKey.Parse("a.txt"));

        Assert.Null(await Get("a.txt"));
        Assert.Equal(0, _cache.SizeBytes);
    }

    private ValueTask<OriginItem?> Get(string key) => _cache.GetAsync(ItemKey.Parse(key), default);

    private OriginCache NewCache(long cacheBytes) => new(
        _origin,
        Options.Create(new OriginOptions { CacheBytes = cacheBytes, RevalidateInterval = TimeSpan.FromSeconds(1) }),
        _time,
        NullLogger<OriginCache>.Instance);
}
