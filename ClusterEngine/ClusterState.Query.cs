using ClusterEngine.Placement;

namespace ClusterEngine;

public sealed partial class ClusterState
{
    /// <summary>
    /// One page of clients, filtered, sorted and counted in a single pass under the lock, keeping only
    /// the best <c>Skip + Take</c> rows in a bounded heap: nothing is copied for the clients that are
    /// not on the page, so the first pages of 100,000 clients cost one scan, not a sort of everything.
    /// </summary>
    /// <param name="query">Filter, sort and page.</param>
    /// <exception cref="ArgumentOutOfRangeException">Skip is negative or Take is not positive.</exception>
    public ClientQueryResult QueryClients(ClientQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Skip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Take);
        lock (_gate)
        {
            var keep = (int)Math.Min((long)query.Skip + query.Take, int.MaxValue);
            var compare = RowComparison(query.Sort, query.Descending);
            var nodeIndex = query.NodeId is null ? -2 : _view.TryGetIndex(query.NodeId, out var n) ? n : -3;

            // Max-heap of the best 'keep' rows: the root is the worst row kept, dropped when a better one comes.
            var heap = new PriorityQueue<(string Id, AssignmentSlot Slot), (string Id, AssignmentSlot Slot)>(
                Comparer<(string Id, AssignmentSlot Slot)>.Create((a, b) => compare(b, a)));
            var total = 0;
            foreach (var (clientId, slot) in _table.All)
            {
                if (slot.IsRemoved || !Matches(clientId, slot, query, nodeIndex))
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

            var rows = best.Skip(query.Skip).Select(r => new ClientRow(ToAssignment(r.Id, r.Slot),
                r.Slot.LastSeen == 0 ? null : AssignmentSlot.Epoch.AddSeconds(r.Slot.LastSeen))).ToList();
            return new ClientQueryResult(rows, total);
        }
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

    private Func<(string Id, AssignmentSlot Slot), (string Id, AssignmentSlot Slot), int> RowComparison(ClientSort sort, bool descending)
    {
        int ByColumn((string Id, AssignmentSlot Slot) a, (string Id, AssignmentSlot Slot) b) => sort switch
        {
            ClientSort.Primary => string.CompareOrdinal(_view[a.Slot.Primary].NodeId, _view[b.Slot.Primary].NodeId),
            ClientSort.Alternate => string.CompareOrdinal(a.Slot.HasAlternate ? _view[a.Slot.Alternate].NodeId : "",
                b.Slot.HasAlternate ? _view[b.Slot.Alternate].NodeId : ""),
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
