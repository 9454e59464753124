using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// The read side of a <see cref="ClusterState"/> (docs/architecture.md §3): converts the table's compact slots, which
/// name nodes by index, to their public forms (<see cref="Assignment"/>, <see cref="AssignmentDelta"/>) and back, and
/// answers lookups, listings, client pages, anti-entropy digests and the <see cref="ClusterSnapshot"/>.
/// </summary>
/// <remarks>
/// Lookups, listings and pages take no lock: they read the concurrent <see cref="AssignmentTable"/> and the immutable
/// <see cref="MemberSnapshot"/>, so a decision made meanwhile is either wholly in the answer or not, as if it came
/// just before or just after. Digests, bucket listings and a snapshot rebuild take the decision lock
/// (<paramref name="gate"/>, owned by the <see cref="ClusterState"/>) so that they see whole batches of decisions.
/// </remarks>
/// <param name="view">The members (node index ↔ id).</param>
/// <param name="table">The assignment table.</param>
/// <param name="gate">The state's decision lock.</param>
internal sealed class AssignmentReader(MemberTable view, AssignmentTable table, Lock gate)
{
    private volatile ClusterSnapshot? _snapshot;

    /// <summary>
    /// The current immutable picture of the view (members, states, counts). Lock-free while nothing changed since the
    /// last one; after a change the first reader rebuilds it once under the lock (O(members), never O(clients)).
    /// </summary>
    public ClusterSnapshot Snapshot
    {
        get
        {
            var snapshot = _snapshot;
            if (snapshot is not null && snapshot.Version == view.Version + table.Version)
            {
                return snapshot;
            }

            lock (gate)
            {
                var version = view.Version + table.Version;
                snapshot = _snapshot;
                if (snapshot is null || snapshot.Version != version)
                {
                    _snapshot = snapshot = ClusterSnapshot.Of(version, view, table);
                }

                return snapshot;
            }
        }
    }

    /// <summary>The client's assignment, or null when it has none.</summary>
    public Assignment? Get(string clientId) => table.TryGet(clientId, out var slot) ? ToAssignment(clientId, slot) : null;

    /// <summary>Every live assignment that passes <paramref name="filter"/> (all when null), unordered.</summary>
    public IReadOnlyList<Assignment> All(Func<Assignment, bool>? filter)
    {
        var result = new List<Assignment>();
        foreach (var (clientId, slot) in table.All)
        {
            if (!slot.IsRemoved)
            {
                var a = ToAssignment(clientId, slot);
                if (filter is null || filter(a))
                {
                    result.Add(a);
                }
            }
        }

        return result;
    }

    /// <summary>One page of clients, filtered, sorted and counted in one pass over the table (see <see cref="ClientPage"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Skip is negative or Take is not positive.</exception>
    public ClientQueryResult Query(ClientQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Skip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Take);
        var members = view.Snapshot;
        var nodeIndex = query.NodeId is null ? -2 : members.TryGetIndex(query.NodeId, out var n) ? n : -3;
        return ClientPage.Query(table.All, members, nodeIndex, query);
    }

    /// <summary>The anti-entropy digest per bucket of client ids (<see cref="AssignmentTable.DigestBuckets"/> buckets).</summary>
    public long[] DigestBuckets()
    {
        lock (gate)
        {
            return table.BucketDigests();
        }
    }

    /// <summary>Every stored assignment of the clients in <paramref name="buckets"/>, removals (tombstones) included, as deltas.</summary>
    public IReadOnlyList<AssignmentDelta> InBuckets(IReadOnlySet<int> buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        lock (gate)
        {
            var result = new List<AssignmentDelta>();
            foreach (var (clientId, slot) in table.All)
            {
                if (buckets.Contains(AssignmentTable.BucketOf(clientId)))
                {
                    result.Add(ToDelta(clientId, slot, slot.IsRemoved ? AssignmentChangeReason.Removed : AssignmentChangeReason.Assigned));
                }
            }

            return result;
        }
    }

    /// <summary>The public form of <paramref name="slot"/>; the members are read after the slot, so they know its node indices.</summary>
    public Assignment ToAssignment(string clientId, in AssignmentSlot slot) => ToAssignment(clientId, slot, view.Snapshot);

    /// <summary>The public form of <paramref name="slot"/> with the node ids of <paramref name="members"/>.</summary>
    public static Assignment ToAssignment(string clientId, in AssignmentSlot slot, MemberSnapshot members) =>
        new(clientId, members.NodeId(slot.Primary), slot.HasAlternate ? members.NodeId(slot.Alternate) : null,
            new AssignmentVersion(slot.Counter, members.NodeId(slot.Origin)), slot.Bounces, slot.Registration);

    /// <summary>The delta that ships <paramref name="slot"/> to peers and to the database.</summary>
    public AssignmentDelta ToDelta(string clientId, in AssignmentSlot slot, AssignmentChangeReason reason) => new(
        clientId,
        slot.IsRemoved ? null : view[slot.Primary].NodeId,
        slot.HasAlternate && !slot.IsRemoved ? view[slot.Alternate].NodeId : null,
        new AssignmentVersion(slot.Counter, view[slot.Origin].NodeId),
        slot.Bounces,
        reason,
        slot.Registration);

    /// <summary>
    /// The slot of a delta from a peer or from storage; unknown node ids are registered (not eligible until they become
    /// members). A registration stamp that cannot be one (negative, or later than the delta's own version) is kept as 0,
    /// unknown: peers' <c>AssignmentChanged</c> is refused such deltas (<c>PeerGuard</c>), and this holds for every other
    /// way in (catch-up, storage).
    /// </summary>
    public AssignmentSlot ToSlot(AssignmentDelta d) => new(
        d.Version.Counter,
        (short)view.IndexOf(d.Version.NodeId),
        d.Primary is null ? AssignmentSlot.None : (short)view.IndexOf(d.Primary),
        d.Primary is null || d.Alternate is null ? AssignmentSlot.None : (short)view.IndexOf(d.Alternate),
        (byte)Math.Clamp(d.Bounces, 0, 255),
        Registration: d.Registration >= 0 && d.Registration <= d.Version.Counter ? d.Registration : 0);
}
