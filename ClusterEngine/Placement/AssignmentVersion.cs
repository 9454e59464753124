namespace ClusterEngine.Placement;

/// <summary>
/// Version of one client's assignment: a hybrid logical clock counter (<see cref="HybridClock"/>: wall-time milliseconds
/// above a logical count) plus the id of the node that made the change. Higher counter wins; equal counters are ordered by node id (ordinal), so every node
/// breaks ties the same way and merging deltas is commutative and idempotent (docs/architecture.md §4).
/// </summary>
/// <param name="Counter">Hybrid clock counter (&gt;= 1 for real changes; tables from older builds hold small plain Lamport counts).</param>
/// <param name="NodeId">Id of the node that decided the change.</param>
public readonly record struct AssignmentVersion(long Counter, string NodeId) : IComparable<AssignmentVersion>
{
    /// <inheritdoc />
    public int CompareTo(AssignmentVersion other)
    {
        var byCounter = Counter.CompareTo(other.Counter);
        return byCounter != 0 ? byCounter : string.CompareOrdinal(NodeId, other.NodeId);
    }

    /// <summary>True when <paramref name="left"/> is newer than <paramref name="right"/>.</summary>
    public static bool operator >(AssignmentVersion left, AssignmentVersion right) => left.CompareTo(right) > 0;

    /// <summary>True when <paramref name="left"/> is older than <paramref name="right"/>.</summary>
    public static bool operator <(AssignmentVersion left, AssignmentVersion right) => left.CompareTo(right) < 0;

    /// <summary>True when <paramref name="left"/> is newer than or equal to <paramref name="right"/>.</summary>
    public static bool operator >=(AssignmentVersion left, AssignmentVersion right) => left.CompareTo(right) >= 0;

    /// <summary>True when <paramref name="left"/> is older than or equal to <paramref name="right"/>.</summary>
    public static bool operator <=(AssignmentVersion left, AssignmentVersion right) => left.CompareTo(right) <= 0;

    /// <inheritdoc />
    public override string ToString() => $"{Counter}@{NodeId}";
}
