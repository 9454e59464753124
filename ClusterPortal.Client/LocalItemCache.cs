using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client;

/// <summary>
/// The client's local cache (memory, least recently used out, and an optional directory) together with the last
/// mirror sequence the client adopted, changed under one lock so an item and the sequence that vouches for it
/// always agree (the mirror protocol: <see cref="MirrorSequence"/>).
/// </summary>
/// <remarks>
/// The rule for <c>X-Mirror-Sequence</c> is <see cref="MirrorSequence.Adopts"/>: an answer's sequence is
/// adopted only when the client's last sequence still equals the one the request echoed. Answers to concurrent
/// requests may arrive out of order; the node drops from the mirror whatever it recorded after the echoed sequence, so adopting
/// only the answer that follows the client's own chain keeps the mirror a subset of what the client holds. An item
/// stored from an answer that was not adopted may differ from what the mirror records for it (an older answer
/// arriving last), so it is not <see cref="CachedItem.MirrorTrusted"/> and is revalidated with its own CRC.
/// </remarks>
internal sealed class LocalItemCache(int maxEntries, string? directory)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<CachedItem>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<CachedItem> _recency = new();
    private readonly ItemDirectory? _directory = directory is null ? null : new ItemDirectory(directory);
    private ulong? _sequence;

    /// <summary>The last mirror sequence adopted, or null (none yet, or the cache was cleared).</summary>
    public ulong? Sequence
    {
        get
        {
            lock (_gate)
            {
                return _sequence;
            }
        }
    }

    /// <summary>The cached copy of <paramref name="key"/> and the sequence to echo with it, read together.</summary>
    public (CachedItem? Item, ulong? Sequence) Find(string key)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                return (node.Value, _sequence);
            }

            // Read back from disk: the mirror's view of it is unknown, so it is revalidated by its own validator.
            var stored = _directory?.Read(key);
            if (stored is not null)
            {
                Put(stored with { MirrorTrusted = false }, persist: false);
            }

            return (stored, _sequence);
        }
    }

    /// <summary>
    /// Applies an answer: stores <paramref name="fresh"/> (a 200) or confirms <paramref name="confirmedValidator"/>
    /// (a 304), and adopts <paramref name="answered"/> when the last sequence still equals <paramref name="echoed"/>.
    /// </summary>
    /// <returns>Whether the answer's sequence was adopted.</returns>
    public bool Apply(string key, CachedItem? fresh, ulong? confirmedValidator, ulong? echoed, ulong? answered)
    {
        lock (_gate)
        {
            var adopted = MirrorSequence.Adopts(_sequence, echoed, answered);
            if (adopted)
            {
                _sequence = answered;
            }

            if (fresh is not null)
            {
                Put(fresh with { MirrorTrusted = adopted }, persist: true);
            }
            else if (adopted && _entries.TryGetValue(key, out var node) && node.Value.Validator == confirmedValidator)
            {
                node.Value = node.Value with { MirrorTrusted = true };
            }

            return adopted;
        }
    }

    /// <summary>Forgets <paramref name="key"/> (the item is gone at the origin).</summary>
    public void Remove(string key)
    {
        lock (_gate)
        {
            if (_entries.Remove(key, out var node))
            {
                _recency.Remove(node);
            }

            _directory?.Delete(key);
        }
    }

    /// <summary>Empties the cache (memory and directory) and forgets the sequence: the next answer starts anew.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _recency.Clear();
            _directory?.Clear();
            _sequence = null;
        }
    }

    /// <summary>Items held in memory.</summary>
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

    private void Put(CachedItem item, bool persist)
    {
        if (_entries.Remove(item.Key, out var old))
        {
            _recency.Remove(old);
        }

        _entries[item.Key] = _recency.AddFirst(item);
        if (persist)
        {
            _directory?.Write(item);
        }

        while (_entries.Count > maxEntries && _recency.Last is { } last)
        {
            _recency.RemoveLast();
            _entries.Remove(last.Value.Key);
        }
    }
}
