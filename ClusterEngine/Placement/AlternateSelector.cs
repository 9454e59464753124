using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Chooses a client's alternate (patent Fig. 5, steps 510–520): an eligible node other than the
/// primary, such that the clients of one primary have their alternates spread over the other nodes
/// in proportion to capacity — the patent's "other methods of evenly distributing the workload",
/// so a failed node's load spreads instead of landing on one node (DESIGN.md §4). Among equals: the
/// lowest load ratio, then the lowest <c>alternateCount / capacity</c>, then membership order. Only candidates the
/// <see cref="ZoneRule"/> admits are considered: outside the primary's zone whenever another zone has an eligible node.
/// </summary>
internal sealed class AlternateSelector(MemberTable view, AssignmentTable table)
{
    /// <summary>The alternate for a client of <paramref name="primary"/>, never <paramref name="exclude"/>; -1 when no other node is eligible.</summary>
    public int Select(int primary, int exclude = -1)
    {
        var zone = view[primary].Zone;
        var otherZone = false;
        foreach (var candidate in view.Eligible)
        {
            otherZone |= candidate != primary && candidate != exclude && !ZoneRule.SameZone(zone, view[candidate].Zone);
        }

        var best = -1;
        foreach (var candidate in view.Eligible)
        {
            if (candidate != primary && candidate != exclude && ZoneRule.Admits(zone, view[candidate].Zone, otherZone)
                && (best < 0 || Better(primary, candidate, best)))
            {
                best = candidate;
            }
        }

        return best;
    }

    private bool Better(int primary, int a, int b)
    {
        long capA = view[a].Capacity, capB = view[b].Capacity;
        var share = Compare(table.PairCount(primary, a), capA, table.PairCount(primary, b), capB);
        if (share != 0)
        {
            return share < 0;
        }

        var load = Compare(table.PrimaryCount(a), capA, table.PrimaryCount(b), capB);
        return load != 0 ? load < 0 : Compare(table.AlternateCount(a), capA, table.AlternateCount(b), capB) < 0;
    }

    /// <summary>Compares <c>x/cx</c> with <c>y/cy</c> exactly.</summary>
    private static int Compare(long x, long cx, long y, long cy) => (x * cy).CompareTo(y * cx);
}
