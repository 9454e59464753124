using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests;

/// <summary>
/// The client side of the mirror protocol (<see cref="MirrorSequence.Adopts"/>): an answer's <c>X-Mirror-Sequence</c> is adopted only when
/// the client's last sequence still equals the echoed one, and a copy stored from an answer that was not adopted is
/// not trusted to the mirror.
/// </summary>
public sealed class LocalItemCacheTests
{
    private static CachedItem Item(string key, string text) =>
        new(key, System.Text.Encoding.UTF8.GetBytes(text), ItemValidator.Compute(System.Text.Encoding.UTF8.GetBytes(text)), null, false);

    [Fact]
    public void An_answer_is_adopted_only_when_the_last_sequence_still_equals_the_echoed_one()
    {
        var cache = new LocalItemCache(16, null);
        Assert.True(cache.Apply("a", Item("a", "1"), null, echoed: null, answered: 10));
        Assert.True(cache.Apply("b", Item("b", "1"), null, echoed: 10, answered: 11));

        // An answer to a request that echoed 10, arriving after the one that moved the client to 11.
        Assert.False(cache.Apply("c", Item("c", "1"), null, echoed: 10, answered: 12));

        Assert.Equal(11UL, cache.Sequence);
        Assert.True(cache.Find("b").Item!.MirrorTrusted);
        Assert.False(cache.Find("c").Item!.MirrorTrusted);
    }

    [Fact]
    public void Concurrent_answers_for_one_key_arriving_out_of_order_leave_the_copy_untrusted()
    {
        // The node answered request A (echo 10) with v1 at 11, the item changed, then request B (echo 10) with v2
        // at 12, dropping A's entry. The client receives B first, then A: it must not keep v1 as a copy the mirror
        // vouches for (the mirror records v2), or a later Prefer: cache-mirror 304 would hand out v1.
        var cache = new LocalItemCache(16, null);
        cache.Apply("k", Item("k", "v0"), null, echoed: null, answered: 10);
        Assert.True(cache.Apply("k", Item("k", "v2"), null, echoed: 10, answered: 12));
        Assert.False(cache.Apply("k", Item("k", "v1"), null, echoed: 10, answered: 11));

        var (item, sequence) = cache.Find("k");
        Assert.Equal(12UL, sequence);
        Assert.Equal("v1", System.Text.Encoding.UTF8.GetString(item!.Content.Span));
        Assert.False(item.MirrorTrusted);
    }

    [Fact]
    public void A_304_that_is_adopted_trusts_the_copy_it_confirmed_and_no_other()
    {
        var cache = new LocalItemCache(16, null);
        cache.Apply("k", Item("k", "v1"), null, echoed: null, answered: 5);
        cache.Apply("k", Item("k", "v2"), null, echoed: 1, answered: 6); // not adopted: untrusted v2
        Assert.False(cache.Find("k").Item!.MirrorTrusted);

        cache.Apply("k", null, ItemValidator.Compute("v1"u8), echoed: 5, answered: 7); // confirms v1, but v2 is held
        Assert.False(cache.Find("k").Item!.MirrorTrusted);

        cache.Apply("k", null, ItemValidator.Compute("v2"u8), echoed: 7, answered: 8);
        Assert.True(cache.Find("k").Item!.MirrorTrusted);
    }

    [Fact]
    public void Clearing_forgets_items_and_the_sequence_and_the_memory_bound_evicts_least_recently_used()
    {
        var cache = new LocalItemCache(2, null);
        cache.Apply("a", Item("a", "1"), null, null, 1);
        cache.Apply("b", Item("b", "1"), null, 1, 2);
        _ = cache.Find("a");
        cache.Apply("c", Item("c", "1"), null, 2, 3);

        Assert.Null(cache.Find("b").Item);
        Assert.NotNull(cache.Find("a").Item);

        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.Null(cache.Sequence);
    }
}
