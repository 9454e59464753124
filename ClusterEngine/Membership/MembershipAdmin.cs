using ClusterEngine.Backplane;

namespace ClusterEngine.Membership;

/// <summary>
/// Operator changes of the membership (<c>POST/PATCH/DELETE /api/nodes</c>): adding a running node at run time (patent
/// Fig. 11, steps 1110–1130), changing a member's capacity or mode, removing a member. Each change is decided by the
/// <see cref="MembershipAuthority"/> (here, or forwarded to it), stamped and gossiped; the operator's value wins
/// cluster-wide.
/// </summary>
/// <param name="agent">This node's <c>Hello</c>.</param>
/// <param name="authority">Decides and stamps the change.</param>
/// <param name="members">The member list.</param>
/// <param name="mesh">The peer connections.</param>
public sealed class MembershipAdmin(MembershipAgent agent, MembershipAuthority authority, MemberList members, PeerMesh mesh)
{
    /// <summary>
    /// Adds a running node: asks it who it is over the backplane, then has the authority add it as a member with the
    /// operator's capacity. It stays Joining, and gets no client, until it has caught up with the cluster. A removed node
    /// is added again the same way.
    /// </summary>
    /// <returns>Applied with the new record; Conflict when a live member already has that URL or id; Unavailable when no authority can decide now or that member's removal is still waiting for it.</returns>
    /// <exception cref="HttpRequestException">The URL cannot be reached.</exception>
    /// <exception cref="TimeoutException">The node did not answer in time.</exception>
    public async Task<MemberChangeReply> AddNodeAsync(string url, int capacity, string? name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        url = url.TrimEnd('/');
        if (members.All.FirstOrDefault(m => !m.Removed && MembershipAuthority.SameUrl(m.Url, url)) is { } sameUrl
            && await AlreadyMemberAsync(sameUrl, $"A member with URL {url} ({sameUrl.NodeId}) is already in the cluster.", cancellationToken) is { } urlRefused)
        {
            return urlRefused;
        }

        var hello = await mesh.HelloOnceAsync(url, agent.Hello(join: false), cancellationToken);
        if (members.Get(hello.NodeId) is { Removed: false } sameId
            && await AlreadyMemberAsync(sameId, $"A member with node id {hello.NodeId} is already in the cluster.", cancellationToken) is { } idRefused)
        {
            return idRefused;
        }

        // The version of the node's own record (a node of a cluster of its own) is a floor for the stamp: ours must win there.
        var own = hello.Members.FirstOrDefault(m => m.NodeId == hello.NodeId);
        var record = new MemberRecord(hello.NodeId, url, name ?? hello.NodeId, capacity, 0, NodeMode.Active, false, own?.Version ?? 0, "", hello.Incarnation, own?.Zone ?? "");
        var reply = await authority.ProposeAsync(new MemberChangeRequest(MemberChangeKind.Add, record), cancellationToken);

        // The authority answers an Add of a member already there as applied (a joining node's Hello may come twice). For an
        // operator, a concurrent add of the same node that won with another capacity or name is a duplicate, not a 201 with
        // someone else's values (attack 2026-12-05: 2–3 of 10 concurrent adds answered 201).
        return reply is { Status: MemberChangeStatus.Applied, Record: { } added } && (added.Capacity != record.Capacity || added.Name != record.Name)
            ? new MemberChangeReply(MemberChangeStatus.Conflict, null,
                $"A member with node id {added.NodeId} is already in the cluster (added at the same time with capacity {added.Capacity}, name {added.Name}).")
            : reply;
    }

    /// <summary>
    /// The answer to re-adding a member this node's list has live: 409 — unless its removal is still waiting for it at the
    /// authority, where it is "not yet" (503 "being removed", docs/recovery.md "Removal and re-add"). Only the authority
    /// knows that (the removal enters every list, the authority's too, once the removed node confirmed it or the wait is
    /// over): a node that is not the authority asks it (<see cref="MemberChangeKind.Check"/>, which changes nothing). It
    /// answered 409 through any node but the authority (found by a test of that path).
    /// </summary>
    /// <returns>The refusal; null when the authority has the member removed already (the removal applied a moment ago and
    /// has not reached this node's list): the add goes on.</returns>
    private async Task<MemberChangeReply?> AlreadyMemberAsync(MemberRecord live, string conflict, CancellationToken cancellationToken)
    {
        if (authority.IsBeingRemoved(live.NodeId))
        {
            return MembershipAuthority.BeingRemoved(live.NodeId);
        }

        if (!authority.IsSelf)
        {
            var asked = await authority.ProposeAsync(new MemberChangeRequest(MemberChangeKind.Check, live), cancellationToken);
            switch (asked.Status)
            {
                case MemberChangeStatus.Unavailable:
                    return asked; // being removed, or no authority to ask right now: retry
                case MemberChangeStatus.NotFound:
                    return null; // removed at the authority a moment ago (found by attack: 409 in the second the removal applied)
            }
        }

        return new MemberChangeReply(MemberChangeStatus.Conflict, null, conflict);
    }

    /// <summary>Changes a member's capacity (clients) and/or mode cluster-wide. Moves nobody by itself; maintenance fails its clients over.</summary>
    /// <returns>Applied with the updated record; NotFound for an unknown or removed node; Unavailable when no authority can decide now.</returns>
    public Task<MemberChangeReply> UpdateNodeAsync(string nodeId, int? capacity, NodeMode? mode, CancellationToken cancellationToken)
    {
        if (members.Get(nodeId) is not { Removed: false } current)
        {
            return Task.FromResult(NotFound(nodeId));
        }

        var wanted = current with { Capacity = capacity ?? current.Capacity, Mode = mode ?? current.Mode };
        return authority.ProposeAsync(new MemberChangeRequest(MemberChangeKind.Update, wanted), cancellationToken);
    }

    /// <summary>
    /// Removes a member: every node fails its clients over to their alternates; the removed node stays up, Left and not
    /// ready, serving nobody, until it is added again.
    /// </summary>
    /// <returns>Applied; NotFound for an unknown or already removed node; Unavailable when no authority can decide now.</returns>
    public Task<MemberChangeReply> RemoveNodeAsync(string nodeId, CancellationToken cancellationToken) =>
        members.Get(nodeId) is { Removed: false } current
            ? authority.ProposeAsync(new MemberChangeRequest(MemberChangeKind.Remove, current), cancellationToken)
            : Task.FromResult(NotFound(nodeId));

    /// <summary>The 404's words; an id longer than any node id can be (64 characters) is cut there, not echoed whole.</summary>
    private static MemberChangeReply NotFound(string nodeId) =>
        new(MemberChangeStatus.NotFound, null, $"No node '{(nodeId.Length > 64 ? nodeId[..64] + "…" : nodeId)}' in the cluster.");
}
