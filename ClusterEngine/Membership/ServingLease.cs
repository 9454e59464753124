using ClusterEngine.Backplane;

namespace ClusterEngine.Membership;

/// <summary>
/// Whether this node's peers hear it (docs/network.md "Partitions"), from the <see cref="PeerHearing"/> lines of their
/// heartbeats: a peer that last heard our status <c>s</c> and would declare us Down after <c>T</c> of silence gives us a
/// lease until <c>sent(s) + T − margin</c>. That peer cannot declare us Down — and our clients' alternates on its side
/// cannot promote themselves — before it has heard nothing from us for <c>T</c>, which is after <c>sent(s) + T</c>; so a node
/// that counts only peers whose lease it holds stops serving as primary before the other side takes its clients over,
/// whether the cut is both ways, one way (its packets lost, theirs arriving) or to some peers only. The margin (four
/// health-monitor ticks) covers the ticks of both ends. The same echoes give the round trip to each peer
/// (<c>now − sent(s) − held</c>) for the <see cref="SilenceTimeout"/>. Time from the <see cref="TimeProvider"/>; thread-safe.
/// </summary>
public sealed class ServingLease(TimeProvider time, TimeSpan margin)
{
    private const int Remembered = 256;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, long> _sent = [];
    private readonly Dictionary<string, long> _until = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Incarnation, long Sequence, long At)> _heard = new(StringComparer.Ordinal);

    /// <summary>This node sent its status <paramref name="sequence"/> now.</summary>
    public void Sent(long sequence)
    {
        lock (_gate)
        {
            _sent[sequence] = time.GetTimestamp();
            _sent.Remove(sequence - Remembered);
        }
    }

    /// <summary>A status <paramref name="sequence"/> of <paramref name="peer"/>'s incarnation <paramref name="incarnation"/> arrived now.</summary>
    public void Heard(string peer, long incarnation, long sequence)
    {
        lock (_gate)
        {
            if (!_heard.TryGetValue(peer, out var last) || last.Incarnation != incarnation || last.Sequence < sequence)
            {
                _heard[peer] = (incarnation, sequence, time.GetTimestamp());
            }
        }
    }

    /// <summary>The lines of this node's next status: what it heard of each peer, with its timeout for that peer.</summary>
    public IReadOnlyList<PeerHearing> Hearing(Func<string, TimeSpan> timeoutOf)
    {
        ArgumentNullException.ThrowIfNull(timeoutOf);
        lock (_gate)
        {
            var now = time.GetTimestamp();
            return [.. _heard.Select(p => new PeerHearing(p.Key, p.Value.Incarnation, p.Value.Sequence,
                (int)time.GetElapsedTime(p.Value.At, now).TotalMilliseconds, (int)timeoutOf(p.Key).TotalMilliseconds))];
        }
    }

    /// <summary>
    /// <paramref name="peer"/>'s status said what it hears of this node (incarnation <paramref name="incarnation"/>):
    /// renews the lease from it; returns the round trip it shows, or null when the echoed status is unknown here.
    /// </summary>
    public TimeSpan? Echoed(string peer, PeerHearing aboutMe, long incarnation)
    {
        ArgumentNullException.ThrowIfNull(aboutMe);
        lock (_gate)
        {
            if (aboutMe.Incarnation != incarnation || !_sent.TryGetValue(aboutMe.Sequence, out var sentAt))
            {
                return null;
            }

            var until = sentAt + (long)((TimeSpan.FromMilliseconds(aboutMe.TimeoutMs) - margin).TotalSeconds * time.TimestampFrequency);
            if (!_until.TryGetValue(peer, out var current) || until > current)
            {
                _until[peer] = until;
            }

            var rtt = time.GetElapsedTime(sentAt) - TimeSpan.FromMilliseconds(aboutMe.HeldMs);
            return rtt < TimeSpan.Zero ? TimeSpan.Zero : rtt;
        }
    }

    /// <summary>True while this node holds a lease from <paramref name="peer"/>: it was heard there recently enough.</summary>
    public bool Holds(string peer)
    {
        lock (_gate)
        {
            return _until.TryGetValue(peer, out var until) && time.GetTimestamp() < until;
        }
    }

    /// <summary>Forgets a removed peer.</summary>
    public void Forget(string peer)
    {
        lock (_gate)
        {
            _until.Remove(peer);
            _heard.Remove(peer);
        }
    }
}
