using ClusterEngine.Membership;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane
{
    /// <summary>
    /// Adds a running node at run time (patent Fig. 11, steps 1110–1130; <c>POST /api/nodes</c>): asks
    /// it who it is over the backplane, then gossips it as a member with the operator's capacity, which
    /// wins cluster-wide. It stays Joining, and gets no client, until it has answered the backplane.
    /// </summary>
    /// <returns>The new member record, or null when a live member already has that URL or id.</returns>
    /// <exception cref="HttpRequestException">The URL cannot be reached.</exception>
    /// <exception cref="TimeoutException">The node did not answer in time.</exception>
    public async Task<MemberRecord?> AddNodeAsync(string url, int capacity, string? name, CancellationToken cancellationToken)
    {
        url = url.TrimEnd('/');
        if (_members.All.Any(m => !m.Removed && string.Equals(m.Url, url, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var hello = await HelloOnceAsync(url, join: false, cancellationToken);
        if (_members.Get(hello.NodeId) is { Removed: false })
        {
            return null;
        }

        var record = _members.Update(new MemberRecord(hello.NodeId, url, name ?? hello.NodeId, capacity, _members.NextOrder(),
            NodeMode.Active, false, 0, Self), Self);
        BroadcastMembers();
        return record;
    }

    /// <summary>Changes a member's capacity (clients) and/or mode cluster-wide (<c>PATCH /api/nodes/{nodeId}</c>). Moves nobody by itself; maintenance fails its clients over.</summary>
    /// <returns>The updated record, or null for an unknown or removed node.</returns>
    public MemberRecord? UpdateNode(string nodeId, int? capacity, NodeMode? mode)
    {
        if (_members.Get(nodeId) is not { Removed: false } current)
        {
            return null;
        }

        var record = _members.Update(current with { Capacity = capacity ?? current.Capacity, Mode = mode ?? current.Mode }, Self);
        BroadcastMembers();
        return record;
    }

    /// <summary>
    /// Removes a member (<c>DELETE /api/nodes/{nodeId}</c>): every node fails its clients over to their
    /// alternates; the removed node stops serving and may not rejoin until added again.
    /// </summary>
    /// <returns>False for an unknown or already removed node.</returns>
    public bool RemoveNode(string nodeId)
    {
        if (_members.Get(nodeId) is not { Removed: false } current)
        {
            return false;
        }

        // Tell the node itself too (its connection is dropped when the change applies here).
        var removed = current with { Removed = true };
        if (_peers.TryGetValue(nodeId, out var peer))
        {
            var stamped = _members.Update(removed, Self);
            _ = peer.SendAsync(BackplaneMethods.Members, new[] { stamped });
        }
        else
        {
            _members.Update(removed, Self);
        }

        BroadcastMembers();
        return true;
    }
}
