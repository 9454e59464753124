using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// The restart grace (docs/recovery.md, "Down for good"): a member this node has not heard from since it started may be
/// restarting with it — after a full restart the nodes come up seconds apart, and a node opens its port only once its
/// store is restored, so until then its port refuses and it looks <c>Down</c>. Its clients keep it as primary for
/// <c>Cluster:RestartGrace</c>, counted from the first moment this node may decide (<see cref="Begin"/>): neither the role
/// repair nor a client's request takes them over meanwhile (patent Fig. 7: the returning node keeps the roles nobody
/// else took). A member seen alive and then lost, or one added later, gets no grace. Thread-safe.
/// </summary>
/// <param name="state">This node's view (the member's state).</param>
/// <param name="detector">Whether the member was heard since this node started.</param>
/// <param name="options"><c>Cluster:RestartGrace</c>.</param>
/// <param name="time">The clock.</param>
public sealed class RestartGrace(ClusterState state, FailureDetector detector, IOptions<ClusterOptions> options, TimeProvider time)
{
    private long _since;

    /// <summary>Starts the grace at <paramref name="now"/> (a <see cref="TimeProvider"/> timestamp); later calls change nothing.</summary>
    /// <param name="now">The first moment this node may decide.</param>
    public void Begin(long now) => Interlocked.CompareExchange(ref _since, now, 0);

    /// <summary>
    /// True while <paramref name="nodeId"/> is <c>Down</c> in this view, has not been heard from since this node started, and
    /// the grace has not run out (or not begun: this node cannot decide yet).
    /// </summary>
    /// <param name="nodeId">The member.</param>
    public bool Holds(string nodeId)
    {
        var since = Volatile.Read(ref _since);
        return state.GetNode(nodeId)?.State == NodeState.Down
            && !detector.WasSeen(nodeId)
            && (since == 0 || time.GetElapsedTime(since) < options.Value.RestartGrace);
    }
}
