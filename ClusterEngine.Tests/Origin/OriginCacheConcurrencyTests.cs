using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Tests.Origin;

public sealed class OriginCacheConcurrencyTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Concurrent_readers_and_invalidations_keep_the_byte_bound_and_serve_whole_items()
    {
        for (var i = 0; i < 40; i++)
        {
            _root.Write($"items/{i}.txt", new string((char)('a' + (i % 26)), 100 + i));
        }

        using var origin = new FileSystemOrigin(Options.Create(new OriginOptions { Root = _root.Path }), NullLogger<FileSystemOrigin>.Instance, watch: false);
        using var cache = new OriginCache(origin, Options.Create(new OriginOptions { CacheBytes = 1_000, RevalidateInterval = TimeSpan.FromHours(1) }), TimeProvider.System, NullLogger<OriginCache>.Instance);

        await Parallel.ForAsync(0, 2_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (n, token) =>
        {
            var i = n % 40;
            var key = ItemKey.Parse($"items/{i}.txt");
            if (n % 13 == 0)
            {
                cache.Invalidate(key);
            }

            var item = await cache.GetAsync(key, token);
            Assert.Equal(100 + i, item!.Length);
            Assert.InRange(cache.SizeBytes, 0, 1_000);
        });

        Assert.InRange(cache.SizeBytes, 100, 1_000);
    }
}
