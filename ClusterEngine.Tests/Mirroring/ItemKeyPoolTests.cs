using ClusterEngine.Mirroring;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>One key string per item across all mirrors of a node (README, "Scale figures"), bounded.</summary>
public sealed class ItemKeyPoolTests
{
    [Fact]
    public void Mirrors_of_different_clients_hold_one_instance_of_a_key_whether_recorded_or_merged()
    {
        var mirror = NewMirror();
        mirror.Record("device-1", new string("catalogue/item-0001.json".AsSpan()), 1, 10, null);
        mirror.Record("device-2", new string("catalogue/item-0001.json".AsSpan()), 1, 10, null);
        var snapshot = mirror.ChangesSince("device-1", 0)!;
        Assert.Equal(MergeResult.Applied, mirror.Merge(snapshot with { ClientId = "device-3" }));

        var keys = new[] { "device-1", "device-2", "device-3" }.Select(c => mirror.Entries(c).Single().Key).ToList();

        Assert.All(keys, k => Assert.Same(keys[0], k));
    }

    [Fact]
    public void A_full_pool_hands_back_new_keys_as_given_and_keeps_sharing_the_ones_it_holds()
    {
        var pool = new ItemKeyPool();
        for (var i = 0; i < ItemKeyPool.Capacity; i++)
        {
            pool.Share("k" + i);
        }

        var held = pool.Share("k7");
        var again = pool.Share(new string("k7".AsSpan()));
        var fresh = new string("not-pooled".AsSpan());

        Assert.Same(held, again);
        Assert.Same(fresh, pool.Share(fresh));
        Assert.NotSame(fresh, pool.Share(new string("not-pooled".AsSpan())));
        Assert.Equal(ItemKeyPool.Capacity, pool.Count);
    }
}
