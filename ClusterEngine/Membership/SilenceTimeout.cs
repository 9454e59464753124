namespace ClusterEngine.Membership;

/// <summary>
/// How long a peer may stay silent before it is Down (docs/network.md "Slow, lossy links"): <c>Cluster:FailureTimeout</c>,
/// or on a slow link <c>HeartbeatInterval + Cluster:FailureRttFactor × RTT</c> when that is longer, at most
/// <c>Cluster:FailureTimeoutMax</c>. RTT is the median of the last 16 round trips measured to the peer (status echoes,
/// <see cref="ServingLease"/>). Why the round trip: heartbeats share one TCP connection with everything else, and
/// <c>k</c> losses of one segment hold the stream back for about <c>(2^k − 1) × RTO</c> with <c>RTO ≈ RTT + 4·RTTVAR ≥
/// RTT + 200 ms</c> (RFC 6298, Linux's minimum) — a stall that grows with the round trip, harmless on a LAN and seconds long
/// on a 200 ms path. A factor of 16 rides out three losses in a row of one segment on such a path, while a clean link keeps
/// the plain timeout. The median moves slowly, so the timeout a peer was told (its lease) does not shrink under it.
/// Thread-safe.
/// </summary>
public sealed class SilenceTimeout(TimeSpan failureTimeout, TimeSpan heartbeatInterval, double rttFactor, TimeSpan maximum)
{
    private const int Window = 16;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<double>> _rtts = new(StringComparer.Ordinal);

    /// <summary>A timeout of <paramref name="failureTimeout"/> whatever the link (the factor off).</summary>
    public static SilenceTimeout Fixed(TimeSpan failureTimeout) => new(failureTimeout, TimeSpan.Zero, 0, failureTimeout);

    /// <summary>Records a round trip to <paramref name="peer"/>.</summary>
    public void RoundTrip(string peer, TimeSpan rtt)
    {
        lock (_gate)
        {
            if (!_rtts.TryGetValue(peer, out var samples))
            {
                _rtts[peer] = samples = new Queue<double>(Window);
            }

            if (samples.Count == Window)
            {
                samples.Dequeue();
            }

            samples.Enqueue(Math.Max(0, rtt.TotalMilliseconds));
        }
    }

    /// <summary>The silence after which <paramref name="peer"/> is Down.</summary>
    public TimeSpan For(string peer)
    {
        if (rttFactor <= 0)
        {
            return failureTimeout;
        }

        double median;
        lock (_gate)
        {
            if (!_rtts.TryGetValue(peer, out var samples) || samples.Count == 0)
            {
                return failureTimeout;
            }

            var sorted = samples.Order().ToArray();
            median = sorted[sorted.Length / 2];
        }

        var scaled = heartbeatInterval + TimeSpan.FromMilliseconds(rttFactor * median);
        return scaled <= failureTimeout ? failureTimeout : scaled >= maximum ? maximum : scaled;
    }

    /// <summary>The median round trip to <paramref name="peer"/>, or null before the first.</summary>
    public TimeSpan? MedianRoundTrip(string peer)
    {
        lock (_gate)
        {
            return _rtts.TryGetValue(peer, out var samples) && samples.Count > 0
                ? TimeSpan.FromMilliseconds(samples.Order().ElementAt(samples.Count / 2))
                : null;
        }
    }

    /// <summary>Forgets a removed peer.</summary>
    public void Forget(string peer)
    {
        lock (_gate)
        {
            _rtts.Remove(peer);
        }
    }
}
