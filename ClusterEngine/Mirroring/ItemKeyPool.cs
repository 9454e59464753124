using System.Collections.Concurrent;

namespace ClusterEngine.Mirroring;

/// <summary>
/// One string instance per item key across every client's mirror on a node. Devices of one application hold the same
/// items, so a million mirrors of 16 entries share a catalogue of keys instead of holding 16 million copies of them
/// (about 1.1 KB per client with 24-character keys; README, "Scale figures"). Bounded: after <see cref="Capacity"/>
/// distinct keys, further new keys are kept as given, so keys unique to each client cost what they cost without the
/// pool and the pool itself never holds more than about <see cref="Capacity"/> × (key length × 2 + 60) bytes. Keys stay
/// in the pool when every mirror has evicted them. Thread-safe.
/// </summary>
internal sealed class ItemKeyPool
{
    /// <summary>Distinct keys kept: 65,536 (a few MB at most).</summary>
    public const int Capacity = 65_536;

    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>The pooled instance equal to <paramref name="key"/>; <paramref name="key"/> itself when it is new and the pool is full.</summary>
    public string Share(string key)
    {
        if (_keys.TryGetValue(key, out var shared))
        {
            return shared;
        }

        if (Volatile.Read(ref _count) >= Capacity)
        {
            return key;
        }

        shared = _keys.GetOrAdd(key, key);
        if (ReferenceEquals(shared, key))
        {
            Interlocked.Increment(ref _count);
        }

        return shared;
    }

    /// <summary>Distinct keys held (at most <see cref="Capacity"/>, plus the few added by racing callers).</summary>
    public int Count => Volatile.Read(ref _count);
}
