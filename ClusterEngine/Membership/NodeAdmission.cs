using System.Collections.Concurrent;
using ClusterEngine.Backplane;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Answers other nodes' <c>Hello</c> (a seed join, or a connection opening): a node id belongs to one live process.
/// <list type="bullet">
/// <item>An unknown node asking to join is added through the <see cref="MembershipAuthority"/> — once this node reached
/// it at the URL it advertises (<see cref="AdvertisedUrlProbe"/>); otherwise the Hello fails with why, and the joining
/// node logs it and retries (event 2124).</item>
/// <item>A member at its own URL with a new incarnation restarted (the old process cannot hold the port): this node
/// re-opens its connection to it at once instead of waiting for the old connection's backoff.</item>
/// <item>A member's id from another URL while the member is alive (heard within <c>FailureTimeout</c>) is a second
/// process claiming it: refused (<see cref="HelloReply.Refused"/>, the claimant stops with exit code 2), nothing
/// changes. While the member is Down or unreachable it moved: the authority records the new URL, once this node reached it there.</item>
/// <item>A removed member is answered with the list that says so; it waits, Left, until an operator adds it again.</item>
/// </list>
/// </summary>
public sealed partial class NodeAdmission
{
    private readonly MembershipAgent _agent;
    private readonly MembershipAuthority _authority;
    private readonly MemberList _members;
    private readonly ClusterNode _node;
    private readonly FailureDetector _detector;
    private readonly PeerMesh _mesh;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, long> _reconnectedFor = new(StringComparer.Ordinal);
    private readonly PeerGuard _guard;
    private readonly AdvertisedUrlProbe _probe;
    private readonly TimeSpan _probeTimeout;

    /// <summary>Creates the admission of <paramref name="node"/>.</summary>
    public NodeAdmission(MembershipAgent agent, MembershipAuthority authority, MemberList members, ClusterNode node, FailureDetector detector,
        PeerMesh mesh, PeerGuard guard, AdvertisedUrlProbe probe, IOptions<ClusterOptions> options, ILogger<NodeAdmission> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_agent, _authority, _members, _node, _detector, _mesh, _guard, _logger) = (agent, authority, members, node, detector, mesh, guard, logger);
        _probe = probe;
        _probeTimeout = options.Value.HelloTimeout / 2; // the joining node waits HelloTimeout for this answer
    }

    private string Self => _node.NodeId;

    /// <summary><c>Hello</c> from the authenticated peer <paramref name="fromNodeId"/>.</summary>
    /// <exception cref="HubException">The Hello is malformed, or the change it needs cannot be decided now (the sender retries).</exception>
    public async Task<HelloReply> OnHelloAsync(string fromNodeId, HelloRequest hello)
    {
        if (hello?.Self is not { } claimed || claimed.NodeId != fromNodeId || !ClusterOptionsValidator.IsNodeUrl(claimed.Url))
        {
            throw new HubException("A Hello must name the connection's own node id and its absolute http(s) URL.");
        }

        var known = _members.Get(fromNodeId);
        if (known is { Removed: false } && !MembershipAuthority.SameUrl(known.Url, claimed.Url))
        {
            if (fromNodeId == Self || _detector.IsAlive(fromNodeId))
            {
                return Refuse(known, claimed.Url);
            }

            await ReachableOrThrowAsync(fromNodeId, claimed.Url);
            var moved = await _authority.ProposeAsync(new MemberChangeRequest(MemberChangeKind.Move, known with { Url = claimed.Url, Incarnation = hello.Incarnation }), CancellationToken.None);
            return moved.Status == MemberChangeStatus.Conflict ? Refuse(known, claimed.Url) : Accepted(moved, fromNodeId, hello.Incarnation);
        }

        if (known is null && hello.Join)
        {
            await ReachableOrThrowAsync(fromNodeId, claimed.Url);
            var added = await _authority.ProposeAsync(new MemberChangeRequest(MemberChangeKind.Add, claimed with { Removed = false }), CancellationToken.None);
            if (added.Status == MemberChangeStatus.Conflict)
            {
                LogClaimRefused(fromNodeId, claimed.Url, added.Error ?? "");
                return new HelloReply(Self, [], OwnIncarnation, added.Error);
            }

            return Accepted(added, fromNodeId, hello.Incarnation);
        }

        var restarted = _node.State.GetNode(fromNodeId)?.Incarnation != hello.Incarnation && _reconnectedFor.GetValueOrDefault(fromNodeId) != hello.Incarnation;
        if (known is { Removed: false } && fromNodeId != Self && (restarted || !_mesh.IsConnected(fromNodeId)))
        {
            _reconnectedFor[fromNodeId] = hello.Incarnation;
            _agent.Reconnect(fromNodeId); // it restarted: our old connection to it may be waiting out a backoff
        }

        return Reply();
    }

    /// <summary>Refuses (for now: the joining node retries) a node this node cannot reach at the URL it advertises.</summary>
    private async Task ReachableOrThrowAsync(string nodeId, string url)
    {
        if (await _probe.ProblemAsync(url, nodeId, _probeTimeout, CancellationToken.None) is { } problem)
        {
            LogUnreachable(nodeId, url, problem);
            throw new HubException($"{Self} cannot reach {nodeId} at the URL it advertises, {url} ({problem}): set Cluster:AdvertisedUrl "
                + "(or --urls) to an address every node can reach, and check firewalls between the hosts.");
        }
    }

    private HelloReply Accepted(MemberChangeReply change, string nodeId, long incarnation)
    {
        if (change.Status != MemberChangeStatus.Applied || change.Record is null)
        {
            throw new HubException(change.Error ?? "The membership change could not be made now; try again.");
        }

        _guard.AdmitIncarnation(nodeId, incarnation);

        _agent.Merge([change.Record]);
        return Reply();
    }

    private HelloReply Refuse(MemberRecord live, string claimedUrl)
    {
        LogClaimRefused(live.NodeId, claimedUrl, live.Url);
        return new HelloReply(Self, [], OwnIncarnation,
            $"node id {live.NodeId} belongs to the live member at {live.Url}; this process advertises {claimedUrl}");
    }

    private HelloReply Reply() => new(Self, _members.All, OwnIncarnation);

    private long OwnIncarnation => _node.State.GetNode(Self)?.Incarnation ?? 0;

    [LoggerMessage(EventId = LogEvents.JoinUnreachable, Level = LogLevel.Warning, Message = "Did not add {NodeId}: it cannot be reached at the URL it advertises, {Url} ({Problem})")]
    private partial void LogUnreachable(string nodeId, string url, string problem);

    [LoggerMessage(EventId = LogEvents.ClaimRefused, Level = LogLevel.Warning, Message = "Refused a second process claiming node id {NodeId} from {ClaimedUrl}: {Reason}")]
    private partial void LogClaimRefused(string nodeId, string claimedUrl, string reason);
}
