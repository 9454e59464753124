using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Chooses a new client's primary: round robin over the ordered eligible nodes (patent Fig. 2,
/// steps 200–220; Fig. 3, step 350; Fig. 4, step 450), admission below the threshold (Fig. 4,
/// steps 460–470) and bouncing to the lowest load ratio (Fig. 4, steps 480–490; DESIGN.md §4).
/// Pure decisions over the in-memory view and table; not thread-safe.
/// </summary>
internal sealed class PrimarySelector(ClusterView view, AssignmentTable table, int maxBounces)
{
    private int _cursor = -1;

    /// <summary>Fig. 4, step 450: the next eligible node in membership order, or -1 when none is eligible.</summary>
    public int NextPotentialPrimary()
    {
        var eligible = view.Eligible;
        if (eligible.Length == 0)
        {
            return -1;
        }

        _cursor = (_cursor + 1) % eligible.Length;
        return eligible[_cursor];
    }

    /// <summary>
    /// Fig. 4, steps 460–490, decided by the potential primary <paramref name="node"/> itself: accept
    /// below the admission threshold; otherwise, while bounces remain, bounce to the eligible node not
    /// yet offered with the lowest load ratio below capacity, unless <paramref name="node"/> has the
    /// lowest ratio itself; a node that may not bounce accepts while below capacity, else refuses.
    /// </summary>
    /// <returns>The outcome and, for a bounce, the target index.</returns>
    public (AdmissionOutcome Outcome, int Target) Decide(int node, int bounces, ReadOnlySpan<int> offered)
    {
        var self = view[node];
        var primaries = table.PrimaryCount(node);
        if (primaries < self.AdmitLimit)
        {
            return (AdmissionOutcome.Accept, node);
        }

        var belowCapacity = primaries < self.Capacity;
        if (bounces < maxBounces)
        {
            var best = LowestRatioBelowCapacity(offered, node);
            if (best >= 0 && (!belowCapacity || RatioLess(best, node)))
            {
                return (AdmissionOutcome.Bounce, best);
            }
        }

        return belowCapacity ? (AdmissionOutcome.Accept, node) : (AdmissionOutcome.Refuse, -1);
    }

    /// <summary>
    /// Runs the whole placement on this view (Fig. 4, steps 450–490): round-robin pick, then offers
    /// and bounces until a node accepts. A refusal falls back to the lowest-ratio node not yet offered;
    /// with none below capacity the cluster is full.
    /// </summary>
    /// <param name="offered">Receives the indices offered, in order.</param>
    /// <returns>The primary's index and the bounces made, or (-1, bounces) when the cluster is full.</returns>
    public (int Primary, int Bounces) Place(List<int> offered)
    {
        var node = NextPotentialPrimary();
        var bounces = 0;
        Span<int> tried = stackalloc int[Math.Min(view.Count, 256)];
        var count = 0;
        while (node >= 0 && count < tried.Length)
        {
            tried[count++] = node;
            offered.Add(node);
            var (outcome, target) = Decide(node, bounces, tried[..count]);
            switch (outcome)
            {
                case AdmissionOutcome.Accept:
                    return (node, bounces);
                case AdmissionOutcome.Bounce:
                    node = target;
                    bounces++;
                    break;
                default:
                    node = LowestRatioBelowCapacity(tried[..count], -1);
                    break;
            }
        }

        return (-1, bounces);
    }

    /// <summary>The eligible node not in <paramref name="exclude"/> (nor <paramref name="self"/>) with the lowest ratio below capacity; ties go to membership order.</summary>
    public int LowestRatioBelowCapacity(ReadOnlySpan<int> exclude, int self)
    {
        var best = -1;
        foreach (var candidate in view.Eligible)
        {
            if (candidate == self || exclude.Contains(candidate) || table.PrimaryCount(candidate) >= view[candidate].Capacity)
            {
                continue;
            }

            if (best < 0 || RatioLess(candidate, best))
            {
                best = candidate;
            }
        }

        return best;
    }

    /// <summary>Exact comparison of load ratios by cross-multiplication: <c>p(a)/c(a) &lt; p(b)/c(b)</c>.</summary>
    private bool RatioLess(int a, int b) =>
        (long)table.PrimaryCount(a) * view[b].Capacity < (long)table.PrimaryCount(b) * view[a].Capacity;
}
