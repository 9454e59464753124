using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Chooses a client's alternate (patent Fig. 5, steps 510–520): an eligible node other than the primary, such that the
/// clients of one primary have their alternates spread over the other nodes in proportion to capacity — the patent's
/// "other methods of evenly distributing the workload", so a failed node's load spreads instead of landing on one node
/// (docs/architecture.md §4). Among equals: the lowest load ratio, then the lowest <c>alternateCount / capacity</c>, then
/// membership order. Only candidates the <see cref="ZoneRule"/> admits are considered: outside the primary's zone whenever
/// another zone has an eligible node (docs/network.md "Zones"). A pure function of a <see cref="MemberSnapshot"/> (with
/// each member's zone) and the role counts.
/// </summary>
internal static class AlternateChoice
{
    /// <summary>The alternate for a client of <paramref name="primary"/>, never <paramref name="exclude"/>; -1 when no other node is eligible.</summary>
    /// <param name="members">The members.</param>
    /// <param name="load">The role counts.</param>
    /// <param name="primary">The client's primary.</param>
    /// <param name="exclude">A node that may not be chosen (the one going away), or -1.</param>
    public static int Select(MemberSnapshot members, IPlacementLoad load, int primary, int exclude = -1)
    {
        var zone = primary >= 0 && primary < members.Count ? members[primary].Zone : "";
        var otherZone = false;
        foreach (var candidate in members.Eligible)
        {
            otherZone |= candidate != primary && candidate != exclude && !ZoneRule.SameZone(zone, members[candidate].Zone);
        }

        var best = -1;
        foreach (var candidate in members.Eligible)
        {
            if (candidate != primary && candidate != exclude && ZoneRule.Admits(zone, members[candidate].Zone, otherZone)
                && (best < 0 || Better(members, load, primary, candidate, best)))
            {
                best = candidate;
            }
        }

        return best;
    }

    private static bool Better(MemberSnapshot members, IPlacementLoad load, int primary, int a, int b)
    {
        long capA = members[a].Capacity, capB = members[b].Capacity;
        var share = Compare(load.PairCount(primary, a), capA, load.PairCount(primary, b), capB);
        if (share != 0)
        {
            return share < 0;
        }

        var ratio = Compare(load.PrimaryCount(a), capA, load.PrimaryCount(b), capB);
        return ratio != 0 ? ratio < 0 : Compare(load.AlternateCount(a), capA, load.AlternateCount(b), capB) < 0;
    }

    /// <summary>Compares <c>x/cx</c> with <c>y/cy</c> exactly.</summary>
    private static int Compare(long x, long cx, long y, long cy) => (x * cy).CompareTo(y * cx);
}
