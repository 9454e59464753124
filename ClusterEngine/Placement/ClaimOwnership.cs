using System.IO.Hashing;
using System.Text;
using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Who decides the first claim of a client id (docs/identity.md): rendezvous (highest-random-weight) hashing of the id
/// over the nodes that are Up — each node's weight is XXH3-64 of <c>{client id}\n{node id}</c>, highest first, ties by
/// node id — so every node with the same view names the same owner, an owner's failure moves only its ids (to the next in
/// their order), and a node joining takes over only the ids it now wins. Pure functions of a <see cref="ClusterSnapshot"/>.
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

    /// <summary>The owner of <paramref name="clientId"/> in <paramref name="view"/>, or null when no node is Up.</summary>
    public static string? OwnerOf(string clientId, ClusterSnapshot view) => Order(clientId, view) is [var first, ..] ? first : null;

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
