namespace ClusterEngine.Membership;

/// <summary>
/// Which side of a partition keeps serving (docs/architecture.md §7): peers known to have stopped (their port
/// refused a connection) do not count, so a lone survivor keeps serving; of the rest, the side that
/// reaches a strict majority serves; an even split keeps the side holding the first node in
/// membership order; a minority side stops serving as primary until it is back.
/// </summary>
public static class Quorum
{
    /// <summary>True when this node's side may serve.</summary>
    /// <param name="members">The last membership (not removed), in membership order; includes this node.</param>
    /// <param name="reachable">True for members this node can currently hear (itself included).</param>
    /// <param name="knownStopped">True for members whose process is known to have stopped.</param>
    public static bool HasQuorum(IReadOnlyList<string> members, Func<string, bool> reachable, Func<string, bool> knownStopped)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(reachable);
        ArgumentNullException.ThrowIfNull(knownStopped);
        var counting = members.Where(m => reachable(m) || !knownStopped(m)).ToList();
        var seen = counting.Count(reachable);
        if (seen * 2 != counting.Count)
        {
            return seen * 2 > counting.Count;
        }

        return counting.Count > 0 && reachable(counting[0]);
    }
}
