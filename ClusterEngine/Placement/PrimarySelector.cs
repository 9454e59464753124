using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Chooses a new client's primary on this view: the round-robin cursor over the ordered eligible nodes (patent Fig. 2,
/// steps 200–220; Fig. 3, step 350; Fig. 4, step 450) and the placement loop (<see cref="OfferLoop"/>) with this view
/// deciding each offer by <see cref="Admission"/>. The cursor is its only state; not thread-safe (the decision lock).
/// </summary>
internal sealed class PrimarySelector(MemberTable view, AssignmentTable table, int maxBounces)
{
    private int _cursor = -1;

    /// <summary>Fig. 4, step 450: the next eligible node in membership order, or -1 when none is eligible.</summary>
    public int NextPotentialPrimary()
    {
        var eligible = view.Snapshot.Eligible;
        if (eligible.Length == 0)
        {
            return -1;
        }

        _cursor = (_cursor + 1) % eligible.Length;
        return eligible[_cursor];
    }

    /// <summary>Fig. 4, steps 460–490 decided by <paramref name="node"/> on this view (<see cref="Admission.Decide"/>).</summary>
    public (AdmissionOutcome Outcome, int Target) Decide(int node, int bounces, ReadOnlySpan<int> offered) =>
        Admission.Decide(view.Snapshot, table, node, bounces, offered, maxBounces);

    /// <summary>The eligible node not in <paramref name="exclude"/> (nor <paramref name="self"/>) with the lowest ratio below capacity.</summary>
    public int LowestRatioBelowCapacity(ReadOnlySpan<int> exclude, int self) =>
        Admission.LowestRatioBelowCapacity(view.Snapshot, table, exclude, self);

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
}
