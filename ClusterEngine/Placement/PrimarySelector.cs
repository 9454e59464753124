using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Chooses a new client's primary: round robin over the ordered eligible nodes (patent Fig. 2,
/// steps 200–220; Fig. 3, step 350; Fig. 4, step 450), admission below the threshold (Fig. 4,
/// steps 460–470) and bouncing to the lowest load ratio (Fig. 4, steps 480–490; DESIGN.md §4).
/// Pure decisions over the in-memory view and table; not thread-safe.
/// </summary>
internal sealed class PrimarySelector(MemberTable view, AssignmentTable table, int maxBounces)
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
    /// Runs the placement loop (<see cref="OfferLoop"/>) with this view deciding for every node offered: used where
    /// this node places a client for the whole cluster (re-placement when primary and alternate are both unavailable).
    /// </summary>
    /// <param name="offered">Receives the indices offered, in order.</param>
    /// <returns>The primary's index and the bounces made, or (-1, bounces) when the cluster is full.</returns>
    public (int Primary, int Bounces) Place(List<int> offered)
    {
        var result = OfferLoop.Run<int, LocalOfferChannel>(new LocalOfferChannel(this), offered);
        return (result.Placed ? result.Primary : -1, result.Bounces);
    }

    /// <summary>Offers decided on this view: each offered node's decision as that node would make it from this view.</summary>
    private readonly struct LocalOfferChannel(PrimarySelector selector) : IOfferChannel<int>
    {
        public bool TryFirstCandidate(out int candidate) => (candidate = selector.NextPotentialPrimary()) >= 0;

        public ValueTask<OfferAnswer<int>> OfferAsync(int candidate, int bounces, List<int> offered, CancellationToken cancellationToken)
        {
            var (outcome, target) = selector.Decide(candidate, bounces, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(offered));
            return ValueTask.FromResult(new OfferAnswer<int>(outcome, target));
        }

        public bool TryLowestRatio(List<int> offered, out int candidate) =>
            (candidate = selector.LowestRatioBelowCapacity(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(offered), -1)) >= 0;
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
