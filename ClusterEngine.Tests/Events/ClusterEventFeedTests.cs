using ClusterEngine.Events;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Events;

/// <summary>The node's live event stream: retained ring, ordering, slow subscribers, cancellation.</summary>
public sealed class ClusterEventFeedTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Published_events_get_increasing_sequence_numbers_and_the_clock_time()
    {
        var feed = new ClusterEventFeed(_time);

        var first = feed.Publish(ClusterEventKind.Assigned, "node-1", "c1", "primary node-1");
        _time.Advance(TimeSpan.FromSeconds(2));
        var second = feed.Publish(ClusterEventKind.NodeDown, "node-2");

        Assert.Equal((1, 2), (first.Sequence, second.Sequence));
        Assert.Equal(_time.GetUtcNow(), second.Timestamp);
        Assert.Equal(_time.GetUtcNow().AddSeconds(-2), first.Timestamp);
        Assert.Equal("", second.Detail);
        Assert.Null(second.ClientId);
        Assert.Equal(2, feed.Count);
    }

    [Fact]
    public void Recent_returns_the_last_events_oldest_first_and_the_ring_keeps_only_the_retained_count()
    {
        var feed = new ClusterEventFeed(_time);
        Assert.Empty(feed.Recent());

        for (var i = 1; i <= ClusterEventFeed.RetainedCount + 250; i++)
        {
            feed.Publish(ClusterEventKind.Assigned, "node-1", $"c{i}");
        }

        var all = feed.Recent();
        Assert.Equal(ClusterEventFeed.RetainedCount, all.Count);
        Assert.Equal(251, all[0].Sequence);
        Assert.Equal(ClusterEventFeed.RetainedCount + 250, all[^1].Sequence);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.Second.Sequence == p.First.Sequence + 1));

        var lastThree = feed.Recent(3);
        Assert.Equal([1248L, 1249L, 1250L], lastThree.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_subscriber_sees_every_later_event_in_order_but_not_earlier_ones()
    {
        var feed = new ClusterEventFeed(_time);
        feed.Publish(ClusterEventKind.NodeJoined, "node-1");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var subscription = feed.SubscribeAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = subscription.MoveNextAsync(); // registers the subscriber, then waits

        var published = Enumerable.Range(0, 100).Select(i => feed.Publish(ClusterEventKind.Assigned, "node-1", $"c{i}")).ToList();

        var received = new List<ClusterEvent>();
        Assert.True(await pending);
        received.Add(subscription.Current);
        while (received.Count < published.Count && await subscription.MoveNextAsync())
        {
            received.Add(subscription.Current);
        }

        Assert.Equal(published.Select(e => e.Sequence), received.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Concurrent_publishers_never_block_and_each_subscriber_sees_strictly_increasing_sequences()
    {
        var feed = new ClusterEventFeed(_time);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var subscription = feed.SubscribeAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = subscription.MoveNextAsync();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                feed.Publish(ClusterEventKind.Assigned, $"node-{t}", $"c{t}-{i}");
            }
        })));

        var sequences = new List<long>();
        Assert.True(await pending);
        sequences.Add(subscription.Current.Sequence);
        while (sequences.Count < 800 && await subscription.MoveNextAsync())
        {
            sequences.Add(subscription.Current.Sequence);
        }

        Assert.Equal(Enumerable.Range(1, 800).Select(i => (long)i), sequences);
    }

    [Fact]
    public async Task A_slow_subscriber_loses_its_oldest_unread_events_and_sees_the_gap_in_the_sequence()
    {
        var feed = new ClusterEventFeed(_time);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var slow = feed.SubscribeAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = slow.MoveNextAsync();
        feed.Publish(ClusterEventKind.Assigned, "node-1", "first");
        Assert.True(await pending);
        Assert.Equal(1, slow.Current.Sequence);

        // The subscriber reads nothing while 10 more events than its buffer holds are published.
        for (var i = 0; i < ClusterEventFeed.SubscriberBuffer + 10; i++)
        {
            feed.Publish(ClusterEventKind.Assigned, "node-1", $"c{i}");
        }

        var received = new List<long>();
        while (received.Count < ClusterEventFeed.SubscriberBuffer && await slow.MoveNextAsync())
        {
            received.Add(slow.Current.Sequence);
        }

        Assert.Equal(12, received[0]); // 2..11 were dropped: the oldest unread ones
        Assert.Equal(ClusterEventFeed.SubscriberBuffer + 11, received[^1]);
        Assert.Equal(Enumerable.Range(12, ClusterEventFeed.SubscriberBuffer).Select(i => (long)i), received);
    }

    [Fact]
    public async Task Cancelling_ends_the_subscription_quietly_and_later_publishes_still_work()
    {
        var feed = new ClusterEventFeed(_time);
        using var cts = new CancellationTokenSource();
        await using var subscription = feed.SubscribeAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = subscription.MoveNextAsync(); // registers the subscriber, then waits
        feed.Publish(ClusterEventKind.NodeJoined, "node-1");
        Assert.True(await pending);

        var waiting = subscription.MoveNextAsync(); // waits for the next event
        await cts.CancelAsync();

        Assert.False(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10))); // ends, no OperationCanceledException
        feed.Publish(ClusterEventKind.NodeDown, "node-1"); // the ended subscriber is gone: nothing throws
        Assert.Equal(2, feed.Count);
    }
}
