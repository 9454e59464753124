using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Affinity;

/// <summary>
/// Where one request of an assigned client goes (patent Fig. 6, steps 640–680): the primary when it is available;
/// nowhere yet while the primary is joining (it serves in a moment; the client is not taken over);
/// else the alternate becomes primary with a new alternate (even when full: reported as over capacity); both
/// unavailable → the client is to be placed anew (step 660 → 620, by the caller's placement loop). A pure function of a
/// <see cref="MemberSnapshot"/>, the role counts and the client's slot; the table is not touched.
/// </summary>
internal static class ServingDecision
{
    /// <summary>The decision: its kind, the serving index (-1 for <see cref="AffinityKind.Reassigned"/>: not chosen yet) and the proposed slot (Counter/Origin left for the commit).</summary>
    public readonly record struct Proposal(AffinityKind Kind, int Serving, AssignmentSlot? Next);

    /// <summary>Decides for the live slot <paramref name="slot"/>.</summary>
    /// <param name="members">The members.</param>
    /// <param name="load">The role counts (read only when the primary is unavailable).</param>
    /// <param name="slot">The client's assignment.</param>
    public static Proposal Decide(MemberSnapshot members, IPlacementLoad load, in AssignmentSlot slot)
    {
        // Step 640: is the primary available? (A leaving primary still serves until it hands the client over.)
        if (members.IsServing(slot.Primary))
        {
            return new(AffinityKind.Primary, slot.Primary, null);
        }

        // A joining primary is alive and catching up (Fig. 7): it serves in a moment. Taking its client over here raced
        // with it turning Up — this node still saw it Joining while it already served from the table it had just merged,
        // and both answered as primary until the change reached it (fault suite, lone restart). The request waits.
        if (members.IsJoining(slot.Primary))
        {
            return new(AffinityKind.PrimaryJoining, -1, null);
        }

        // Step 660 → 670/680: the alternate becomes primary; a new alternate is chosen.
        if (slot.HasAlternate && members.IsAvailable(slot.Alternate))
        {
            var alternate = AlternateChoice.Select(members, load, slot.Alternate, exclude: slot.Primary);
            return new(AffinityKind.FailedOver, slot.Alternate, slot with { Primary = slot.Alternate, Alternate = (short)alternate });
        }

        // Step 660 → 620: assign anew.
        return new(AffinityKind.Reassigned, -1, null);
    }
}
