using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Deltas;

/// <summary>
/// The versions of items this node served or learned of through <c>ItemChanged</c>, so that a client one or a few
/// versions behind can get a delta against the version it holds (RFC 9842; <c>docs/deltas.md</c>). Bounded by
/// <see cref="DeltaOptions.MaxVersionsPerItem"/> per item and <see cref="DeltaOptions.MaxBytes"/> in all, the least
/// recently used version out; items over <see cref="DeltaOptions.MaxItemBytes"/> are not kept. Found by SHA-256 (the
/// standard path) or by CRC-64 validator (the mirror path). Thread-safe; one lock, no I/O under it.
/// </summary>
/// <remarks>
/// The bytes are the origin item's own (<see cref="OriginItem.Content"/>, immutable), so the current version of an item
/// costs nothing beyond the origin cache while both hold it; <see cref="SizeBytes"/> counts every version in full, an
/// upper bound. A version's SHA-256 is computed once, when it is first kept.
/// </remarks>
public sealed class ItemVersionStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<LinkedListNode<Slot>>> _byKey = new(StringComparer.Ordinal);
    private readonly LinkedList<Slot> _recency = new();
    private readonly int _maxVersions;
    private readonly long _maxBytes;
    private readonly int _maxItemBytes;
    private long _sizeBytes;
    private long _useClock;

    /// <summary>Creates an empty store.</summary>
    /// <param name="options">The bounds.</param>
    public ItemVersionStore(IOptions<DeltaOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _maxVersions = options.Value.MaxVersionsPerItem;
        _maxBytes = options.Value.MaxBytes;
        _maxItemBytes = options.Value.MaxItemBytes;
    }

    /// <summary>Bytes of the versions held (each counted in full, shared or not).</summary>
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

    /// <summary>Versions held, all items together.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _recency.Count;
            }
        }
    }

    /// <summary>Keeps <paramref name="item"/> (it was served, or is about to be): the most recently used version of its key.</summary>
    /// <param name="item">The item.</param>
    public void Remember(OriginItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Remember(item.Key, item.Validator, item.Content);
    }

    /// <summary>Keeps one version of an item (the bytes are not copied: they must never change).</summary>
    /// <param name="key">The item key.</param>
    /// <param name="validator">The version's CRC-64 validator.</param>
    /// <param name="content">The version's bytes.</param>
    public void Remember(ItemKey key, ulong validator, ReadOnlyMemory<byte> content)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (content.Length > _maxItemBytes || content.Length > _maxBytes)
        {
            return;
        }

        lock (_gate)
        {
            if (Touch(key.Value, v => v.Validator == validator) is not null)
            {
                return;
            }
        }

        var version = new ItemVersion(key.Value, validator, DictionaryHash.Of(content.Span), content);
        lock (_gate)
        {
            if (Touch(key.Value, v => v.Validator == validator) is null)
            {
                Add(version);
            }
        }
    }

    /// <summary>
    /// The item at <paramref name="key"/> changed (an operator's write here, or <c>ItemChanged</c> from a peer): keeps the
    /// version <paramref name="cache"/> holds, which clients may hold too, before the cache drops it; then invalidates
    /// the cache's copy unless it already is the version with <paramref name="newValidator"/>.
    /// </summary>
    /// <param name="cache">The origin cache.</param>
    /// <param name="key">The item key.</param>
    /// <param name="newValidator">The new version's validator when the change names it; null otherwise.</param>
    public void KeepBeforeChange(OriginCache cache, ItemKey key, ulong? newValidator)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var held = cache.Peek(key);
        if (held is not null)
        {
            Remember(held);
        }

        if (held is null || newValidator is null || held.Validator != newValidator)
        {
            cache.Invalidate(key);
        }
    }

    /// <summary>The version whose SHA-256 is <paramref name="hash"/> (a client's <c>Available-Dictionary</c>), or null.</summary>
    /// <param name="key">The item key.</param>
    /// <param name="hash">The dictionary hash.</param>
    /// <returns>The version, now the most recently used; null when not held.</returns>
    public ItemVersion? Find(ItemKey key, DictionaryHash hash)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            return Touch(key.Value, v => v.Hash == hash);
        }
    }

    /// <summary>The version whose CRC-64 validator is <paramref name="validator"/> (what a client's mirror records), or null.</summary>
    /// <param name="key">The item key.</param>
    /// <param name="validator">The validator.</param>
    /// <returns>The version, now the most recently used; null when not held.</returns>
    public ItemVersion? Find(ItemKey key, ulong validator)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            return Touch(key.Value, v => v.Validator == validator);
        }
    }

    private ItemVersion? Touch(string key, Func<ItemVersion, bool> match)
    {
        if (!_byKey.TryGetValue(key, out var versions))
        {
            return null;
        }

        foreach (var node in versions)
        {
            if (match(node.Value.Version))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                node.Value.LastUse = ++_useClock;
                return node.Value.Version;
            }
        }

        return null;
    }

    private void Add(ItemVersion version)
    {
        if (!_byKey.TryGetValue(version.Key, out var versions))
        {
            versions = [];
            _byKey[version.Key] = versions;
        }

        if (versions.Count >= _maxVersions)
        {
            Remove(versions.MinBy(n => n.Value.LastUse)!);
        }

        while (_sizeBytes + version.Content.Length > _maxBytes && _recency.Last is { } oldest)
        {
            Remove(oldest);
        }

        if (!_byKey.TryGetValue(version.Key, out versions))
        {
            versions = [];
            _byKey[version.Key] = versions;
        }

        versions.Add(_recency.AddFirst(new Slot(version) { LastUse = ++_useClock }));
        _sizeBytes += version.Content.Length;
    }

    private void Remove(LinkedListNode<Slot> node)
    {
        var key = node.Value.Version.Key;
        _recency.Remove(node);
        _sizeBytes -= node.Value.Version.Content.Length;
        var versions = _byKey[key];
        versions.Remove(node);
        if (versions.Count == 0)
        {
            _byKey.Remove(key);
        }
    }

    private sealed class Slot(ItemVersion version)
    {
        public ItemVersion Version { get; } = version;

        public long LastUse { get; set; }
    }
}
