using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Admission of a new client by a potential primary (patent Fig. 4, steps 460–490; docs/architecture.md §4): accept below the
/// admission threshold; otherwise, while bounces remain, bounce to the eligible node not yet offered with the lowest
/// load ratio below capacity, unless the node has the lowest ratio itself; a node that may not bounce accepts while
/// below capacity, else refuses. Pure functions of a <see cref="MemberSnapshot"/> and the role counts.
/// </summary>
internal static class Admission
{
    /// <summary>The decision of the potential primary <paramref name="node"/>.</summary>
    /// <param name="members">The members.</param>
    /// <param name="load">The role counts.</param>
    /// <param name="node">The potential primary deciding.</param>
    /// <param name="bounces">Bounces the client has had so far.</param>
    /// <param name="offered">Indices already offered this client.</param>
    /// <param name="maxBounces"><c>Cluster:MaxBounces</c>.</param>
    /// <returns>The outcome and, for a bounce, the target index.</returns>
    public static (AdmissionOutcome Outcome, int Target) Decide(MemberSnapshot members, IPlacementLoad load, int node, int bounces,
        ReadOnlySpan<int> offered, int maxBounces)
    {
        ref readonly var self = ref members[node];
        var primaries = load.PrimaryCount(node);
        if (primaries < self.AdmitLimit)
        {
            return (AdmissionOutcome.Accept, node);
        }

        var belowCapacity = primaries < self.Capacity;
        if (bounces < maxBounces)
        {
            var best = LowestRatioBelowCapacity(members, load, offered, node);
            if (best >= 0 && (!belowCapacity || RatioLess(members, load, best, node)))
            {
                return (AdmissionOutcome.Bounce, best);
            }
        }

        return belowCapacity ? (AdmissionOutcome.Accept, node) : (AdmissionOutcome.Refuse, -1);
    }

    /// <summary>The eligible node not in <paramref name="exclude"/> (nor <paramref name="self"/>) with the lowest ratio below capacity; ties go to membership order; -1 when none.</summary>
    public static int LowestRatioBelowCapacity(MemberSnapshot members, IPlacementLoad load, ReadOnlySpan<int> exclude, int self)
    {
        var best = -1;
        foreach (var candidate in members.Eligible)
        {
            if (candidate == self || exclude.Contains(candidate) || load.PrimaryCount(candidate) >= members[candidate].Capacity)
            {
                continue;
            }

            if (best < 0 || RatioLess(members, load, candidate, best))
            {
                best = candidate;
            }
        }

        return best;
    }

    /// <summary>Exact comparison of load ratios by cross-multiplication: <c>p(a)/c(a) &lt; p(b)/c(b)</c>.</summary>
    private static bool RatioLess(MemberSnapshot members, IPlacementLoad load, int a, int b) =>
        (long)load.PrimaryCount(a) * members[b].Capacity < (long)load.PrimaryCount(b) * members[a].Capacity;
}
