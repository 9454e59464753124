namespace ClusterEngine.Placement;

/// <summary>
/// One page of clients, filtered, sorted and counted in a single pass, keeping only the best <c>Skip + Take</c> rows in
/// a bounded heap: nothing is copied for the clients that are not on the page, so the first pages of 100,000 clients
/// cost one scan, not a sort of everything. A pure function of the slots and the members it is given; runs without the
/// decision lock (a slot naming a node registered after <c>members</c> was taken is a change in flight: skipped).
/// </summary>
internal static class ClientPage
{
    /// <summary>The page <paramref name="query"/> asks for.</summary>
    /// <param name="slots">Every stored slot (tombstones are skipped).</param>
    /// <param name="members">The members (node ids by index).</param>
    /// <param name="nodeIndex">Index of the query's node: -2 no node filter, -3 an unknown node (matches nothing).</param>
    /// <param name="query">Filter, sort and page.</param>
    public static ClientQueryResult Query(IEnumerable<KeyValuePair<string, AssignmentSlot>> slots, Membership.MemberSnapshot members, int nodeIndex, ClientQuery query)
    {
        var ids = new string[members.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = members.NodeId(i);
        }

        var keep = (int)Math.Min((long)query.Skip + query.Take, int.MaxValue);
        var compare = RowComparison(ids, query.Sort, query.Descending);

        // Max-heap of the best 'keep' rows: the root is the worst row kept, dropped when a better one comes.
        var heap = new PriorityQueue<(string Id, AssignmentSlot Slot), (string Id, AssignmentSlot Slot)>(
            Comparer<(string Id, AssignmentSlot Slot)>.Create((a, b) => compare(b, a)));
        var total = 0;
        foreach (var (clientId, slot) in slots)
        {
            if (slot.IsRemoved || Math.Max(slot.Origin, Math.Max(slot.Primary, slot.Alternate)) >= ids.Length || !Matches(clientId, slot, query, nodeIndex))
            {
                continue;
            }

            total++;
            var row = (clientId, slot);
            if (heap.Count < keep)
            {
                heap.Enqueue(row, row);
            }
            else if (compare(row, heap.Peek()) < 0)
            {
                heap.EnqueueDequeue(row, row);
            }
        }

        var best = new (string Id, AssignmentSlot Slot)[heap.Count];
        for (var i = best.Length - 1; i >= 0; i--)
        {
            best[i] = heap.Dequeue();
        }

        var rows = best.Skip(query.Skip).Select(r => new ClientRow(r.Slot.ToAssignment(r.Id, ids),
            r.Slot.LastSeen == 0 ? null : AssignmentSlot.Epoch.AddSeconds(r.Slot.LastSeen))).ToList();
        return new ClientQueryResult(rows, total);
    }

    private static bool Matches(string clientId, in AssignmentSlot slot, ClientQuery query, int nodeIndex)
    {
        if (!string.IsNullOrEmpty(query.Search) && !clientId.Contains(query.Search, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return nodeIndex == -2 || query.Role switch
        {
            ClientRole.Primary => slot.Primary == nodeIndex,
            ClientRole.Alternate => slot.Alternate == nodeIndex,
            _ => slot.Primary == nodeIndex || slot.Alternate == nodeIndex,
        };
    }

    private static Func<(string Id, AssignmentSlot Slot), (string Id, AssignmentSlot Slot), int> RowComparison(string[] ids, ClientSort sort, bool descending)
    {
        int ByColumn((string Id, AssignmentSlot Slot) a, (string Id, AssignmentSlot Slot) b) => sort switch
        {
            ClientSort.Primary => string.CompareOrdinal(ids[a.Slot.Primary], ids[b.Slot.Primary]),
            ClientSort.Alternate => string.CompareOrdinal(a.Slot.HasAlternate ? ids[a.Slot.Alternate] : "",
                b.Slot.HasAlternate ? ids[b.Slot.Alternate] : ""),
            ClientSort.Bounces => a.Slot.Bounces.CompareTo(b.Slot.Bounces),
            ClientSort.LastSeen => a.Slot.LastSeen.CompareTo(b.Slot.LastSeen),
            _ => 0,
        };

        return (a, b) =>
        {
            var c = ByColumn(a, b);
            if (c == 0)
            {
                c = string.CompareOrdinal(a.Id, b.Id);
            }

            return descending ? -c : c;
        };
    }
}
