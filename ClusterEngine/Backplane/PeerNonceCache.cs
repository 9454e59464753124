using System.Collections.Concurrent;

namespace ClusterEngine.Backplane;

/// <summary>
/// The credentials a node has accepted, each until its time plus <c>Cluster:PeerClockSkew</c> has passed (after that the
/// time check refuses it anyway): the replay cache of <see cref="PeerCredentials"/>. Only credentials whose MAC checked out
/// get in, so its size is bounded by the connections real peers open within the window. Thread-safe.
/// </summary>
internal sealed class PeerNonceCache(TimeProvider time)
{
    private const int SweepEvery = 256;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private int _added;

    /// <summary>Remembers <paramref name="nonce"/> until <paramref name="forgetAfter"/>; false when it is remembered already.</summary>
    public bool TryAdd(string nonce, DateTimeOffset forgetAfter)
    {
        if (Interlocked.Increment(ref _added) % SweepEvery == 0)
        {
            Sweep();
        }

        return _seen.TryAdd(nonce, forgetAfter);
    }

    /// <summary>Credentials remembered now.</summary>
    public int Count => _seen.Count;

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (nonce, forgetAfter) in _seen)
        {
            if (forgetAfter < now)
            {
                _seen.TryRemove(nonce, out _);
            }
        }
    }
}
