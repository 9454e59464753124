using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Origin;

/// <summary>
/// The bounded in-memory cache of origin items with their validators (docs/architecture.md §8; patent Fig. 9 step 910,
/// Fig. 10 step 1020). Holds at most <see cref="OriginOptions.CacheBytes"/> bytes of content, least recently used
/// out. A cached item is served for <see cref="OriginOptions.RevalidateInterval"/>, then revalidated with the
/// origin (cheap: file stat, or a conditional HTTP request). <see cref="Invalidate"/> (an ItemChanged message) and
/// the origin's <see cref="IItemOrigin.Changed"/> event force revalidation on the next read. Thread-safe.
/// </summary>
public sealed class OriginCache : IDisposable
{
    private readonly IItemOrigin _origin;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _capacityBytes;
    private readonly TimeSpan _revalidateInterval;
    private readonly Lock _gate = new();
    private readonly Dictionary<ItemKey, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new();
    private long _sizeBytes;
    private long _invalidations;

    /// <summary>Creates the cache and subscribes to the origin's change events.</summary>
    /// <param name="origin">The origin.</param>
    /// <param name="options">Origin options: <see cref="OriginOptions.CacheBytes"/>, <see cref="OriginOptions.RevalidateInterval"/>.</param>
    /// <param name="time">Clock for revalidation.</param>
    /// <param name="logger">Logger.</param>
    public OriginCache(IItemOrigin origin, IOptions<OriginOptions> options, TimeProvider time, ILogger<OriginCache> logger)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _origin = origin;
        _time = time;
        _logger = logger;
        _capacityBytes = options.Value.CacheBytes;
        _revalidateInterval = options.Value.RevalidateInterval;
        _origin.Changed += OnOriginChanged;
    }

    /// <summary>Bytes of item content held now.</summary>
    public long SizeBytes
    {
        get
        {
            lock (_gate)
            {
                return _sizeBytes;
            }
        }
    }

    /// <summary>Items held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// True when <paramref name="key"/> is held and would be served from memory without asking the origin:
    /// not invalidated (<see cref="Invalidate"/>, an <c>ItemChanged</c> message) and checked within
    /// <see cref="OriginOptions.RevalidateInterval"/>.
    /// </summary>
    public bool IsFresh(ItemKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            return _entries.TryGetValue(key, out var node) && IsFresh(node.Value, _time.GetTimestamp());
        }
    }

    /// <summary>Gets the current version of an item: from memory while fresh, else revalidated with the origin.</summary>
    /// <param name="key">The item key.</param>
    /// <param name="cancellationToken">Cancels the origin read.</param>
    /// <returns>The item, or <see langword="null"/> when the origin has no such item.</returns>
    /// <exception cref="InvalidItemKeyException">The key's path leaves the origin root.</exception>
    /// <exception cref="InvalidDataException">The item is larger than <see cref="OriginOptions.MaxItemBytes"/>.</exception>
    /// <exception cref="HttpRequestException">The HTTP origin failed.</exception>
    public async ValueTask<OriginItem?> GetAsync(ItemKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = _time.GetTimestamp();
        OriginItem? held = null;
        long invalidations;
        lock (_gate)
        {
            invalidations = _invalidations;
            if (_entries.TryGetValue(key, out var node))
            {
                held = node.Value.Item;
                if (IsFresh(node.Value, now))
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    return held;
                }
            }
        }

        var current = await _origin.GetAsync(key, held, cancellationToken);
        lock (_gate)
        {
            Remove(key);
            if (current is not null)
            {
                // Invalidated while the origin was read: the read may predate the change, so check again next time.
                Add(current, now, stale: invalidations != _invalidations);
            }
        }

        return current;
    }

    /// <summary>The version held now, fresh or not, without asking the origin or touching its recency; null when none is held.</summary>
    /// <param name="key">The item key.</param>
    /// <returns>The held item, or null.</returns>
    public OriginItem? Peek(ItemKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            return _entries.TryGetValue(key, out var node) ? node.Value.Item : null;
        }
    }

    /// <summary>The item may have changed (an ItemChanged message): the next read revalidates it with the origin.</summary>
    /// <param name="key">The item key.</param>
    public void Invalidate(ItemKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            _invalidations++;
            if (_entries.TryGetValue(key, out var node))
            {
                node.Value = node.Value with { Stale = true };
            }
        }
    }

    /// <summary>Anything may have changed: every next read revalidates with the origin.</summary>
    public void InvalidateAll()
    {
        lock (_gate)
        {
            _invalidations++;
            for (var node = _recency.First; node is not null; node = node.Next)
            {
                node.Value = node.Value with { Stale = true };
            }
        }
    }

    /// <summary>Unsubscribes from the origin's change events.</summary>
    public void Dispose() => _origin.Changed -= OnOriginChanged;

    private void OnOriginChanged(object? sender, OriginChangedEventArgs e)
    {
        if (e.Key is null)
        {
            InvalidateAll();
        }
        else
        {
            Invalidate(e.Key);
        }
    }

    private void Add(OriginItem item, long checkedAt, bool stale)
    {
        if (item.Length > _capacityBytes)
        {
            OriginLog.ItemTooLargeToCache(_logger, item.Key.Value, item.Length, _capacityBytes);
            return;
        }

        while (_sizeBytes + item.Length > _capacityBytes && _recency.Last is { } oldest)
        {
            Remove(oldest.Value.Item.Key);
        }

        _entries[item.Key] = _recency.AddFirst(new Entry(item, checkedAt, stale));
        _sizeBytes += item.Length;
    }

    private void Remove(ItemKey key)
    {
        if (_entries.Remove(key, out var node))
        {
            _recency.Remove(node);
            _sizeBytes -= node.Value.Item.Length;
        }
    }

    private bool IsFresh(Entry entry, long now) => !entry.Stale && _time.GetElapsedTime(entry.CheckedAt, now) < _revalidateInterval;

    private readonly record struct Entry(OriginItem Item, long CheckedAt, bool Stale);
}
