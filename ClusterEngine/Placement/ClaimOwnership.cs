using System.IO.Hashing;
using System.Text;
using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Who decides the first claim of a client id (docs/identity.md): rendezvous (highest-random-weight) hashing of the id
/// over the nodes that are Up — each node's weight is XXH3-64 of <c>{client id}\n{node id}</c>, highest first, ties by
/// node id — and the first <see cref="HolderCount"/> nodes of that order are the id's claim holders. Every node with the
/// same view names the same holders; a node joining or leaving changes the holders of an id by at most one, so the holders
/// of two views one membership change apart always share a node (the claim's safety rests on that). Pure functions of a
/// <see cref="ClusterSnapshot"/>.
/// </summary>
public static class ClaimOwnership
{
    /// <summary>The nodes Up in <paramref name="view"/> in the rendezvous order of <paramref name="clientId"/>: the owner first.</summary>
    public static IReadOnlyList<string> Order(string clientId, ClusterSnapshot view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return Order(clientId, view.Nodes.Where(n => n.State == NodeState.Up).Select(n => n.NodeId));
    }

    /// <summary><paramref name="candidates"/> in the rendezvous order of <paramref name="clientId"/>.</summary>
    public static IReadOnlyList<string> Order(string clientId, IEnumerable<string> candidates)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(candidates);
        return [.. candidates.Select(id => (Id: id, Weight: Weight(clientId, id)))
            .OrderByDescending(c => c.Weight).ThenBy(c => c.Id, StringComparer.Ordinal).Select(c => c.Id)];
    }

    /// <summary>How many nodes hold each id's claims: two, so that the holder sets of two views one change apart intersect.</summary>
    public const int HolderCount = 2;

    /// <summary>
    /// The claim holders of <paramref name="clientId"/> in <paramref name="view"/>: the first <see cref="HolderCount"/> Up nodes of
    /// its order (fewer when fewer are Up; none when none is).
    /// </summary>
    public static IReadOnlyList<string> HoldersOf(string clientId, ClusterSnapshot view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return HoldersOf(clientId, [.. view.Nodes.Where(n => n.State == NodeState.Up).Select(n => n.NodeId)]);
    }

    /// <summary>
    /// The claim holders of <paramref name="clientId"/> among <paramref name="upNodeIds"/> (the nodes Up, e.g.
    /// <see cref="MemberSnapshot.UpNodeIds"/>): the same as the first <see cref="HolderCount"/> of
    /// <see cref="Order(string, IEnumerable{string})"/>, found in one pass without sorting (an announce asks this once).
    /// </summary>
    /// <param name="clientId">The client id.</param>
    /// <param name="upNodeIds">Distinct node ids.</param>
    /// <returns>At most <see cref="HolderCount"/> node ids, the owner first.</returns>
    public static IReadOnlyList<string> HoldersOf(string clientId, IReadOnlyList<string> upNodeIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(upNodeIds);
        string? first = null, second = null;
        ulong firstWeight = 0, secondWeight = 0;
        for (var i = 0; i < upNodeIds.Count; i++)
        {
            var id = upNodeIds[i];
            var weight = Weight(clientId, id);
            if (first is null || Before(weight, id, firstWeight, first))
            {
                (second, secondWeight) = (first, firstWeight);
                (first, firstWeight) = (id, weight);
            }
            else if (second is null || Before(weight, id, secondWeight, second))
            {
                (second, secondWeight) = (id, weight);
            }
        }

        return first is null ? [] : second is null ? [first] : [first, second];
    }

    /// <summary>The order of <see cref="Order(string, IEnumerable{string})"/>: higher weight first, ties by node id.</summary>
    private static bool Before(ulong weight, string id, ulong otherWeight, string otherId) =>
        weight != otherWeight ? weight > otherWeight : string.CompareOrdinal(id, otherId) < 0;

    /// <summary>The rendezvous weight of <paramref name="nodeId"/> for <paramref name="clientId"/>.</summary>
    public static ulong Weight(string clientId, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(nodeId);
        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(clientId.Length + nodeId.Length + 1)];
        var n = Encoding.UTF8.GetBytes(clientId, buffer);
        buffer[n++] = (byte)'\n';
        n += Encoding.UTF8.GetBytes(nodeId, buffer[n..]);
        return XxHash3.HashToUInt64(buffer[..n]);
    }
}
