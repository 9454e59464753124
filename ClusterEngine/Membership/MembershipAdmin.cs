using ClusterEngine.Backplane;

namespace ClusterEngine.Membership;

/// <summary>
/// Operator changes of the membership (<c>POST/PATCH/DELETE /api/nodes</c>): adding a running node at run time (patent
/// Fig. 11, steps 1110–1130), changing a member's capacity or mode, removing a member. Each change is stamped by this
/// node and gossiped; the operator's value wins cluster-wide.
/// </summary>
/// <param name="agent">Applies and gossips member changes.</param>
/// <param name="members">The member list.</param>
/// <param name="mesh">The peer connections.</param>
public sealed class MembershipAdmin(MembershipAgent agent, MemberList members, PeerMesh mesh)
{
    /// <summary>
    /// Adds a running node: asks it who it is over the backplane, then gossips it as a member with the operator's
    /// capacity. It stays Joining, and gets no client, until it has answered the backplane.
    /// </summary>
    /// <returns>The new member record, or null when a live member already has that URL or id.</returns>
    /// <exception cref="HttpRequestException">The URL cannot be reached.</exception>
    /// <exception cref="TimeoutException">The node did not answer in time.</exception>
    public async Task<MemberRecord?> AddNodeAsync(string url, int capacity, string? name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        url = url.TrimEnd('/');
        if (members.All.Any(m => !m.Removed && string.Equals(m.Url, url, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var hello = await mesh.HelloOnceAsync(url, agent.Hello(join: false), cancellationToken);
        if (members.Get(hello.NodeId) is { Removed: false })
        {
            return null;
        }

        var zone = hello.Members.FirstOrDefault(m => m.NodeId == hello.NodeId)?.Zone ?? "";
        var record = agent.Update(new MemberRecord(hello.NodeId, url, name ?? hello.NodeId, capacity, members.NextOrder(), NodeMode.Active, false, 0, "", zone));
        agent.BroadcastMembers();
        return record;
    }

    /// <summary>Changes a member's capacity (clients) and/or mode cluster-wide. Moves nobody by itself; maintenance fails its clients over.</summary>
    /// <returns>The updated record, or null for an unknown or removed node.</returns>
    public MemberRecord? UpdateNode(string nodeId, int? capacity, NodeMode? mode)
    {
        if (members.Get(nodeId) is not { Removed: false } current)
        {
            return null;
        }

        var record = agent.Update(current with { Capacity = capacity ?? current.Capacity, Mode = mode ?? current.Mode });
        agent.BroadcastMembers();
        return record;
    }

    /// <summary>
    /// Removes a member: every node fails its clients over to their alternates; the removed node stops serving and may
    /// not rejoin until added again.
    /// </summary>
    /// <returns>False for an unknown or already removed node.</returns>
    public bool RemoveNode(string nodeId)
    {
        if (members.Get(nodeId) is not { Removed: false } current)
        {
            return false;
        }

        // Tell the node itself too, before the change applies here and drops our connection to it.
        agent.Update(current with { Removed = true }, stamped => _ = mesh.SendAsync(nodeId, BackplaneMethods.Members, new[] { stamped }));
        agent.BroadcastMembers();
        return true;
    }
}
