namespace ClusterEngine;

/// <summary>
/// The bounds of a node's capacity (clients it may serve as primary): 1 to <see cref="Max"/>. The maximum keeps every
/// per-node count and the cluster's 64-bit totals far from overflow whatever an operator types, and is enforced where a
/// capacity enters: <c>Cluster:Capacity</c> at start, <c>POST/PATCH /api/nodes</c> (400 naming <c>capacity</c>), a
/// stored member row and a gossiped member record (clamped with a warning, see <see cref="MemberRecordBounds"/>).
/// </summary>
public static class NodeCapacity
{
    /// <summary>The largest capacity a node may have: 10,000,000 clients.</summary>
    public const int Max = 10_000_000;

    /// <summary>True when <paramref name="capacity"/> is within 1 … <see cref="Max"/>.</summary>
    public static bool IsValid(long capacity) => capacity is > 0 and <= Max;

    /// <summary><paramref name="capacity"/> brought into 1 … <see cref="Max"/>.</summary>
    public static int Clamp(long capacity) => (int)Math.Clamp(capacity, 1, Max);
}
