using System.Net;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterPortal.Tests.Cluster;

/// <summary><c>ItemChanged</c> over the backplane (docs/architecture.md §6, §7): an operator's change at one node makes every peer revalidate its cached copy at once.</summary>
[Trait("Category", "Cluster")]
public sealed class ItemChangedBroadcastTests
{
    [Fact]
    public async Task An_item_put_through_one_node_is_revalidated_by_every_peer_at_once_over_the_backplane()
    {
        // Each node has its own origin directory and revalidates only hourly: the file watcher and the
        // revalidation timer cannot explain a peer invalidating its copy, only the backplane message can.
        using var origins = new DisposableList<TestOrigin>([new(), new(), new()]);
        await using var cluster = new InProcessCluster();
        foreach (var origin in origins.Items)
        {
            cluster.Add(100, origin.Settings(new() { ["Origin:RevalidateInterval"] = "01:00:00" }));
        }

        await cluster.WaitAllUpAsync();
        var key = ItemKey.Parse("weather/city-4.json");
        var caches = cluster.Nodes.Select(n => n.Services.GetRequiredService<OriginCache>()).ToList();
        foreach (var cache in caches)
        {
            Assert.NotNull(await cache.GetAsync(key, CancellationToken.None));
            Assert.True(cache.IsFresh(key));
        }

        var put = await cluster[0].AdminClient().PutAsync("/api/items/weather/city-4.json", new StringContent("""{"city":4,"temp":99}"""));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await Eventually.True(() => !caches[1].IsFresh(key) && !caches[2].IsFresh(key), "peers marked their cached copy for revalidation");
        var other = ItemKey.Parse("weather/city-5.json");
        Assert.NotNull(await caches[1].GetAsync(other, CancellationToken.None));
        Assert.True(caches[1].IsFresh(other), "other items stay fresh");
    }

    private sealed class DisposableList<T>(List<T> items) : IDisposable
        where T : IDisposable
    {
        public List<T> Items { get; } = items;

        public void Dispose() => Items.ForEach(i => i.Dispose());
    }
}
