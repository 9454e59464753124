namespace ClusterEngine.Placement;

/// <summary>
/// One page of clients, filtered, sorted and counted in a single pass. The first pages keep only the best
/// <c>Skip + Take</c> rows in a bounded heap (at most <see cref="HeapLimit"/>): nothing is copied for the clients not on
/// the page. A deeper page (the last of a million clients) collects the matches once and finds the page by selection
/// (quickselect, Hoare 1961): O(n) expected instead of O(n log n) for a heap as large as the skip — measured at 1 M
/// clients, the last page of 50 took 1.9 s with the heap alone. A pure function of the slots and the members it is
/// given; runs without the decision lock (a slot naming a node registered after <c>members</c> was taken is a change in
/// flight: skipped).
/// </summary>
internal static class ClientPage
{
    /// <summary>Rows up to which the bounded heap is used; deeper pages use selection over every match.</summary>
    internal const int HeapLimit = 4_096;

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
        var (page, total) = keep <= HeapLimit ? ByHeap(slots, ids.Length, nodeIndex, query, keep, compare) : BySelection(slots, ids.Length, nodeIndex, query, keep, compare);
        var rows = page.Select(r => new ClientRow(r.Slot.ToAssignment(r.Id, ids),
            r.Slot.LastSeen == 0 ? null : AssignmentSlot.Epoch.AddSeconds(r.Slot.LastSeen))).ToList();
        return new ClientQueryResult(rows, total);
    }

    private static (IEnumerable<(string Id, AssignmentSlot Slot)> Page, int Total) ByHeap(IEnumerable<KeyValuePair<string, AssignmentSlot>> slots,
        int nodeCount, int nodeIndex, ClientQuery query, int keep, Comparison<(string Id, AssignmentSlot Slot)> compare)
    {
        // Max-heap of the best 'keep' rows: the root is the worst row kept, dropped when a better one comes.
        var heap = new PriorityQueue<(string Id, AssignmentSlot Slot), (string Id, AssignmentSlot Slot)>(
            Comparer<(string Id, AssignmentSlot Slot)>.Create((a, b) => compare(b, a)));
        var total = 0;
        foreach (var (clientId, slot) in slots)
        {
            if (!Listed(clientId, slot, nodeCount, query, nodeIndex))
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

        return (best.Skip(query.Skip), total);
    }

    private static ((string Id, AssignmentSlot Slot)[] Page, int Total) BySelection(IEnumerable<KeyValuePair<string, AssignmentSlot>> slots,
        int nodeCount, int nodeIndex, ClientQuery query, int keep, Comparison<(string Id, AssignmentSlot Slot)> compare)
    {
        var matches = new List<(string Id, AssignmentSlot Slot)>(slots.TryGetNonEnumeratedCount(out var count) ? count : 0);
        foreach (var (clientId, slot) in slots)
        {
            if (Listed(clientId, slot, nodeCount, query, nodeIndex))
            {
                matches.Add((clientId, slot));
            }
        }

        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(matches);
        if (query.Skip >= all.Length)
        {
            return ([], all.Length);
        }

        var end = Math.Min(all.Length, keep);
        SortRange(all, query.Skip, end, compare);
        return (all[query.Skip..end].ToArray(), all.Length);
    }

    /// <summary>
    /// Puts into <c>span[from..to)</c>, sorted, the rows a full sort would put there (quickselect narrowed to a range;
    /// the comparison is a total order: ties are broken by client id).
    /// </summary>
    internal static void SortRange<T>(Span<T> span, int from, int to, Comparison<T> compare)
    {
        while (span.Length > 16)
        {
            from = Math.Max(from, 0);
            to = Math.Min(to, span.Length);
            if (from >= to)
            {
                return;
            }

            var p = Partition(span, compare);
            if (to > p + 1 && from < p)
            {
                SortRange(span[(p + 1)..], from - (p + 1), to - (p + 1), compare); // the range spans the pivot: right side here
            }

            if (from < p)
            {
                span = span[..p];
                to = Math.Min(to, p);
            }
            else
            {
                span = span[(p + 1)..];
                from -= p + 1;
                to -= p + 1;
            }
        }

        span.Sort(compare);
    }

    /// <summary>Lomuto partition around the median of the first, middle and last row; returns the pivot's final index.</summary>
    private static int Partition<T>(Span<T> span, Comparison<T> compare)
    {
        var (lo, mid, hi) = (0, span.Length / 2, span.Length - 1);
        if (compare(span[mid], span[lo]) < 0)
        {
            (span[mid], span[lo]) = (span[lo], span[mid]);
        }

        if (compare(span[hi], span[lo]) < 0)
        {
            (span[hi], span[lo]) = (span[lo], span[hi]);
        }

        if (compare(span[mid], span[hi]) < 0)
        {
            (span[mid], span[hi]) = (span[hi], span[mid]); // the median of the three is now last: the pivot
        }

        var pivot = span[hi];
        var store = 0;
        for (var i = 0; i < hi; i++)
        {
            if (compare(span[i], pivot) < 0)
            {
                (span[i], span[store]) = (span[store], span[i]);
                store++;
            }
        }

        (span[store], span[hi]) = (span[hi], span[store]);
        return store;
    }

    private static bool Listed(string clientId, in AssignmentSlot slot, int nodeCount, ClientQuery query, int nodeIndex) =>
        !slot.IsRemoved && Math.Max(slot.Origin, Math.Max(slot.Primary, slot.Alternate)) < nodeCount && Matches(clientId, slot, query, nodeIndex);

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

    private static Comparison<(string Id, AssignmentSlot Slot)> RowComparison(string[] ids, ClientSort sort, bool descending)
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
