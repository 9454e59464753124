namespace ClusterEngine;

/// <summary>
/// A hybrid logical clock packed into one 64-bit version counter (Kulkarni, Demirbas et al., "Logical Physical Clocks
/// and Consistent Snapshots in Globally Distributed Databases", 2014): the high bits are milliseconds since the Unix
/// epoch, the low <see cref="LogicalBits"/> bits a logical count. The next counter of a decision is one past the highest
/// counter seen or issued (a Lamport clock: causality is kept whatever the wall clocks say) and at least the current
/// wall time. So a decision made later in real time outranks one made earlier even when the later node never heard the
/// earlier one — a node restarted from an old table, alone, while the others moved on (docs/recovery.md, "Versions").
/// Pure; the caller passes the time.
/// </summary>
/// <remarks>
/// Milliseconds in 2026 are about 2^40.7, so a counter is about 2^56.7: far inside <c>long</c> and the peers' bound of
/// 2^62. Counters from before this clock (plain Lamport counts, 1, 2, 3 …) are smaller than any hybrid counter, so a
/// table written by an older build is outranked by every new decision and keeps its order among itself. A node whose
/// clock runs ahead makes its decisions win for as long as it is ahead; peers whose clocks differ by more than
/// <c>Cluster:PeerClockSkew</c> cannot talk at all (docs/identity.md).
/// </remarks>
public static class HybridClock
{
    /// <summary>Bits of the logical count below the wall-time milliseconds (65,536 decisions per millisecond before the count carries into the time).</summary>
    public const int LogicalBits = 16;

    /// <summary>
    /// The largest counter a node accepts from its database or a peer (2^62, the year 36,812 in milliseconds): far above any
    /// honest counter, and low enough that counting on from it cannot overflow.
    /// </summary>
    public const long Max = 1L << 62;

    /// <summary>The smallest counter at <paramref name="now"/>: its milliseconds since the Unix epoch, shifted above the logical bits (0 before 1970).</summary>
    public static long Floor(DateTimeOffset now) => Math.Max(0, now.ToUnixTimeMilliseconds()) << LogicalBits;

    /// <summary>The counter of a decision made at <paramref name="now"/> by a node whose highest counter seen or issued is <paramref name="highest"/>.</summary>
    /// <returns><c>max(highest + 1, Floor(now))</c>.</returns>
    public static long Next(long highest, DateTimeOffset now) => Math.Max(highest + 1, Floor(now));

    /// <summary>The wall time a counter carries, or null for a plain Lamport count (before 2001, i.e. from an older build).</summary>
    public static DateTimeOffset? WallTime(long counter)
    {
        var ms = counter >> LogicalBits;
        return ms < 978_307_200_000L ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }
}
