using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Routing;

/// <summary>
/// Decides where one client request goes (patent Fig. 6, steps 640–680): the primary when it serves (available, or
/// leaving and not yet handed over);
/// else the alternate becomes primary with a new alternate (even when full: reported as over
/// capacity); both unavailable → placed anew by round robin and bouncing. Returns the proposed
/// slot without touching the table.
/// </summary>
internal sealed class RequestRouter(MemberTable view, AssignmentTable table, PrimarySelector primaries, AlternateSelector alternates)
{
    /// <summary>Result of <see cref="Decide"/>: the kind, the serving index and the proposed slot (Counter/Origin left 0).</summary>
    public readonly record struct Proposal(RoutingKind Kind, int Serving, AssignmentSlot? Next);

    public Proposal Decide(string clientId)
    {
        if (!table.TryGet(clientId, out var slot))
        {
            return new(RoutingKind.NotAssigned, -1, null);
        }

        // Step 640: is the primary available? (A leaving primary still serves until it hands the client over.)
        if (view.IsServing(slot.Primary))
        {
            return new(RoutingKind.Primary, slot.Primary, null);
        }

        // Step 660 → 670/680: the alternate becomes primary; a new alternate is chosen.
        if (slot.HasAlternate && view.IsAvailable(slot.Alternate))
        {
            var alternate = alternates.Select(slot.Alternate, exclude: slot.Primary);
            return new(RoutingKind.FailedOver, slot.Alternate, slot with { Primary = slot.Alternate, Alternate = (short)alternate });
        }

        // Step 660 → 620: assign anew.
        var (primary, bounces) = primaries.Place([]);
        if (primary < 0)
        {
            return new(RoutingKind.ClusterFull, -1, null);
        }

        var newAlternate = alternates.Select(primary);
        return new(RoutingKind.Reassigned, primary, new AssignmentSlot(0, 0, (short)primary, (short)newAlternate, (byte)bounces));
    }
}
