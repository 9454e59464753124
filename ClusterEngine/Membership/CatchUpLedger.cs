using ClusterEngine.Backplane;

namespace ClusterEngine.Membership;

/// <summary>
/// Which peers a joining node has caught up with in this round (patent Fig. 7, steps 700–740; docs/recovery.md
/// "Both directions"). A peer's table pulled while the peer's own connection to this node stayed open the whole time is
/// complete: every change the peer decides after the pull began reaches this node as <c>AssignmentChanged</c> over that
/// connection. A table pulled while that connection was closed (or while it closed and opened again) may miss what the
/// peer decided in between, so it does not count yet: the node pulls again once the connection is open. So that a
/// connection that never opens cannot keep a node Joining forever, such a one-way catch-up counts once
/// <see cref="OneWayGrace"/> has passed since it completed. Pure bookkeeping over the times it is given; thread-safe.
/// </summary>
/// <param name="time">Clock of the timestamps passed in.</param>
/// <param name="oneWayGrace">How long a one-way catch-up waits for the peer's connection before it counts anyway (<c>Cluster:HelloTimeout</c>).</param>
public sealed class CatchUpLedger(TimeProvider time, TimeSpan oneWayGrace)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _peers = new(StringComparer.Ordinal);

    /// <summary>How long a catch-up without the peer's connection to this node waits for it before it counts anyway.</summary>
    public TimeSpan OneWayGrace => oneWayGrace;

    /// <summary>A new round (the node is joining again): no peer counts as caught up.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _peers.Clear();
        }
    }

    /// <summary>
    /// A pull of <paramref name="peerNodeId"/>'s whole table completed at <paramref name="now"/> (a timestamp of the clock);
    /// <paramref name="atStart"/> and <paramref name="atEnd"/> are the peer's connection to this node when it began and ended.
    /// </summary>
    /// <returns>True when the pull counts now (the peer's connection was open throughout).</returns>
    public bool Completed(string peerNodeId, InboundState atStart, InboundState atEnd, long now)
    {
        var complete = atStart.Open && atEnd.Open && atStart.Generation == atEnd.Generation;
        lock (_gate)
        {
            var entry = _peers.GetValueOrDefault(peerNodeId);
            _peers[peerNodeId] = complete ? entry with { Complete = true } : entry with { OneWayAt = entry.OneWayAt == 0 ? now : entry.OneWayAt };
        }

        return complete;
    }

    /// <summary>
    /// True when this node has caught up with <paramref name="peerNodeId"/> in this round: a complete pull, or a one-way
    /// pull at least <see cref="OneWayGrace"/> before <paramref name="now"/>.
    /// </summary>
    public bool Counts(string peerNodeId, long now)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(peerNodeId, out var e) && Counted(e, now);
        }
    }

    /// <summary>
    /// True when a pull from <paramref name="peerNodeId"/> is worth starting: it does not count yet, and either no pull
    /// completed in this round or the peer's connection to this node is open now (a pull now can be complete).
    /// </summary>
    public bool NeedsPull(string peerNodeId, InboundState inbound, long now)
    {
        lock (_gate)
        {
            var e = _peers.GetValueOrDefault(peerNodeId);
            return !Counted(e, now) && (e.OneWayAt == 0 || inbound.Open);
        }
    }

    private bool Counted(Entry e, long now) => e.Complete || (e.OneWayAt != 0 && time.GetElapsedTime(e.OneWayAt, now) >= oneWayGrace);

    private readonly record struct Entry(bool Complete, long OneWayAt);
}
