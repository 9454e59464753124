using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace ClusterEngine.Events;

/// <summary>
/// This node's live event stream: keeps the last <see cref="RetainedCount"/> events for late
/// subscribers (dashboard page opened later) and fans every new event out to the current subscribers.
/// <see cref="Publish"/> never blocks: each subscriber has a bounded buffer of
/// <see cref="SubscriberBuffer"/> events and a subscriber that falls behind loses its oldest unread ones
/// (it can see the gap in <see cref="ClusterEvent.Sequence"/>). Thread-safe.
/// </summary>
public sealed class ClusterEventFeed
{
    /// <summary>Events kept for <see cref="Recent"/>.</summary>
    public const int RetainedCount = 1_000;

    /// <summary>Unread events buffered per subscriber before its oldest are dropped.</summary>
    public const int SubscriberBuffer = 1_000;

    private readonly Lock _gate = new();
    private readonly ClusterEvent[] _ring = new ClusterEvent[RetainedCount];
    private readonly List<Channel<ClusterEvent>> _subscribers = [];
    private readonly TimeProvider _time;
    private long _sequence;

    /// <summary>Creates an empty feed.</summary>
    /// <param name="time">Clock for <see cref="ClusterEvent.Timestamp"/>.</param>
    public ClusterEventFeed(TimeProvider time)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>Number of events published since start.</summary>
    public long Count => Volatile.Read(ref _sequence);

    /// <summary>Records an event and hands it to every subscriber; returns it with its sequence and time.</summary>
    /// <param name="kind">What happened.</param>
    /// <param name="nodeId">The node the event is about.</param>
    /// <param name="clientId">The client concerned, or null.</param>
    /// <param name="detail">Short detail text; null is stored as empty.</param>
    public ClusterEvent Publish(ClusterEventKind kind, string nodeId, string? clientId = null, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        lock (_gate)
        {
            var e = new ClusterEvent(++_sequence, _time.GetUtcNow(), kind, nodeId, clientId, detail ?? "");
            _ring[(e.Sequence - 1) % RetainedCount] = e;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(e);
            }

            return e;
        }
    }

    /// <summary>The last <paramref name="max"/> events (at most <see cref="RetainedCount"/>), oldest first.</summary>
    public IReadOnlyList<ClusterEvent> Recent(int max = RetainedCount)
    {
        lock (_gate)
        {
            var count = (int)Math.Min(Math.Min(max, RetainedCount), _sequence);
            var result = new ClusterEvent[Math.Max(count, 0)];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = _ring[(_sequence - result.Length + i) % RetainedCount];
            }

            return result;
        }
    }

    /// <summary>
    /// Every event published from now until <paramref name="cancellationToken"/> is cancelled, in
    /// order. Ends without throwing when cancelled.
    /// </summary>
    public async IAsyncEnumerable<ClusterEvent> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<ClusterEvent>(new BoundedChannelOptions(SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            _subscribers.Add(channel);
        }

        try
        {
            while (true)
            {
                ClusterEvent e;
                try
                {
                    if (!await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield break;
                    }

                    if (!channel.Reader.TryRead(out e!))
                    {
                        continue;
                    }
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                yield return e;
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }
        }
    }
}
