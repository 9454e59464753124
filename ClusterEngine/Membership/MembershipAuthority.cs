using ClusterEngine.Backplane;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// One authority for membership changes (docs/recovery.md, "Membership authority"): the first member, in membership
/// order, that is Up in this node's view — this node itself only while it is Up with quorum and not removed. Every change
/// of the member list is decided there: a seed join or an operator's add, an operator's change or removal, a member that
/// moved to another URL, a member's new incarnation. The authority checks it against its own view (an id that belongs to
/// a live member at another URL is refused), stamps the next list version — one past the highest it has seen, so a new
/// authority continues where the last one stopped — and gossips the list. A change asked at another node is forwarded
/// to the authority over the backplane (<c>MemberChange</c>); with no authority (no member Up with quorum) the change
/// is refused as unavailable and asked again later.
/// </summary>
public sealed partial class MembershipAuthority
{
    private readonly MembershipAgent _agent;
    private readonly MemberList _members;
    private readonly ClusterNode _node;
    private readonly LocalNodeStatus _self;
    private readonly FailureDetector _detector;
    private readonly PeerMesh _mesh;
    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _decide = new();
    private readonly HashSet<string> _removing = []; // stamped removals waiting for the removed node (guarded by _decide)

    /// <summary>Creates the authority role of <paramref name="node"/> (it acts only while <see cref="IsSelf"/>).</summary>
    public MembershipAuthority(MembershipAgent agent, MemberList members, ClusterNode node, LocalNodeStatus self, FailureDetector detector,
        PeerMesh mesh, IOptions<ClusterOptions> options, ILogger<MembershipAuthority> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_agent, _members, _node, _self, _detector, _mesh, _options, _logger) = (agent, members, node, self, detector, mesh, options.Value, logger);
    }

    private string Self => _node.NodeId;

    /// <summary>The membership authority as this node sees it, or null when no member is Up (this node: with quorum).</summary>
    public string? Current
    {
        get
        {
            foreach (var m in _members.All)
            {
                if (m.Removed)
                {
                    continue;
                }

                if (m.NodeId == Self)
                {
                    if (_self.State == NodeState.Up && _self.HasQuorum && !_self.Removed)
                    {
                        return Self;
                    }
                }
                else if (_node.State.GetNode(m.NodeId)?.State == NodeState.Up)
                {
                    return m.NodeId;
                }
            }

            return null;
        }
    }

    /// <summary>True while this node is the membership authority.</summary>
    public bool IsSelf => Current == Self;

    /// <summary>Asks the authority (this node, or the one it forwards to) to make a membership change.</summary>
    /// <param name="request">The change.</param>
    /// <param name="cancellationToken">Cancels waiting for a forwarded change's answer.</param>
    public async Task<MemberChangeReply> ProposeAsync(MemberChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authority = Current;
        if (authority is null)
        {
            return Unavailable("No member is Up with quorum to decide membership changes now; try again shortly.");
        }

        if (authority == Self)
        {
            var decided = Decide(request, out var applied);
            await applied; // an operator's removal here answers once it applies (after the removed node confirmed, or in time)
            return decided;
        }

        var (reply, error) = await _mesh.InvokeWhenConnectedAsync<MemberChangeReply>(authority, BackplaneMethods.MemberChange, request, _options.HelloTimeout, cancellationToken);

        // An authority that removes itself applies and spreads the removal before it answers, and this node drops its
        // connection to a removed member on that message — the connection the answer was to come on. The removal it asked
        // for is in this node's list then: that is the answer.
        if (reply is null && request.Kind == MemberChangeKind.Remove && _members.Get(request.Record.NodeId) is { Removed: true } removed)
        {
            return new MemberChangeReply(MemberChangeStatus.Applied, removed, null);
        }

        return reply ?? Unavailable($"The membership authority {authority} did not answer ({error?.Message ?? "not connected"}); try again shortly.");
    }

    /// <summary><c>MemberChange</c> from a peer: decided here while this node is the authority; otherwise refused as unavailable.</summary>
    public MemberChangeReply OnMemberChange(MemberChangeRequest request)
    {
        if (request?.Record is not { } record || !ClusterOptionsValidator.NodeIdPattern().IsMatch(record.NodeId ?? "")
            || !ClusterOptionsValidator.IsNodeUrl(record.Url) || record.Capacity <= 0 || !Enum.IsDefined(request.Kind) || !Enum.IsDefined(record.Mode)
            || record.Version is < 0 or > HybridClock.Max)
        {
            return new MemberChangeReply(MemberChangeStatus.Conflict, null,
                "The change must name a valid node id, an http(s) URL, a positive capacity, a known kind and mode, and a version from 0 to 2^62.");
        }

        // A removal asked by a peer is answered at once and applies in the background: waiting for the removed node here would
        // hold this peer's connection, whose heartbeats are handled one at a time behind this call.
        return IsSelf ? Decide(request, out _) : Unavailable($"{Self} is not the membership authority ({Current ?? "none now"}); try again shortly.");
    }

    /// <summary>
    /// True while this node, as the authority, waits for <paramref name="nodeId"/> to confirm its removal
    /// (<see cref="ApplyRemovalAsync"/>): the removal is decided but not yet in the member list, so the member still looks live.
    /// </summary>
    /// <param name="nodeId">The member.</param>
    public bool IsBeingRemoved(string nodeId)
    {
        lock (_decide)
        {
            return _removing.Contains(nodeId);
        }
    }

    /// <summary>The answer to any change of a member whose removal is still waiting for it (503 at the API).</summary>
    internal static MemberChangeReply BeingRemoved(string nodeId) => Unavailable($"Node {nodeId} is being removed; try again in a moment.");

    /// <summary>
    /// The authority's periodic duties (every heartbeat, while it is the authority): a member heard with a newer
    /// incarnation than its record names (a restart) gets it stamped, and so does this node's own record, and its URL
    /// when it moved.
    /// </summary>
    public void Maintain()
    {
        if (!IsSelf)
        {
            return;
        }

        var changed = false;
        lock (_decide)
        {
            foreach (var m in _members.All.Where(m => !m.Removed && !_removing.Contains(m.NodeId)))
            {
                var heard = _node.State.GetNode(m.NodeId)?.Incarnation ?? 0;
                var moved = m.NodeId == Self && _agent.SelfUrl.Length > 0 && !SameUrl(m.Url, _agent.SelfUrl);
                if (heard > m.Incarnation || moved)
                {
                    _agent.Update(m with { Incarnation = Math.Max(heard, m.Incarnation), Url = moved ? _agent.SelfUrl : m.Url });
                    changed = true;
                }
            }
        }

        if (changed)
        {
            _agent.BroadcastMembers();
        }
    }

    /// <summary>Decides a change; <paramref name="applied"/> completes when it applies here (a removal: see <see cref="ApplyRemovalAsync"/>).</summary>
    private MemberChangeReply Decide(MemberChangeRequest request, out Task applied)
    {
        MemberChangeReply reply;
        MemberRecord? removal;
        lock (_decide)
        {
            reply = DecideLocked(request.Kind, request.Record, out removal);
        }

        if (request.Kind != MemberChangeKind.Check) // asked in a loop by an operator's retries, it would flood the log (attack: 24,000 lines in 20 s)
        {
            LogDecided(Self, request.Kind, request.Record.NodeId, reply.Status, reply.Record?.Version ?? 0);
        }
        applied = Task.CompletedTask;
        if (removal is not null)
        {
            applied = ApplyRemovalAsync(removal);
        }
        else if (reply is { Status: MemberChangeStatus.Applied, Record: not null } && request.Kind != MemberChangeKind.Check)
        {
            _agent.BroadcastMembers();
        }

        return reply;
    }

    /// <summary>
    /// A removal (docs/recovery.md, "Removal and re-add"): the removed node is told first, and the removal applies here and
    /// goes to the other members only once it confirmed (its hub call returned: it serves nobody from then on), or after
    /// <c>Cluster:RemovalAckTimeout</c> when it does not answer (stopped, frozen, cut off). Applying it fails the node's
    /// clients over to their alternates; before, that happened while the message to the removed node was still on its way,
    /// and for a moment both served the same clients (seen 38 ms apart on a loaded host).
    /// </summary>
    private async Task ApplyRemovalAsync(MemberRecord removed)
    {
        string? unconfirmed = null;
        try
        {
            MemberRecord[] records = [removed]; // one argument: the batch
            var (_, error) = await _mesh.InvokeAsync<object>(removed.NodeId, BackplaneMethods.Members, records, _options.RemovalAckTimeout, CancellationToken.None);
            unconfirmed = error?.Message;
        }
        catch (Exception ex)
        {
            unconfirmed = ex.Message; // never lose the removal: it applies below in any case
        }

        if (unconfirmed is not null)
        {
            LogRemovalUnconfirmed(Self, removed.NodeId, unconfirmed);
        }

        lock (_decide)
        {
            _agent.Merge([removed]);
            _removing.Remove(removed.NodeId);
        }

        _agent.BroadcastMembers();
    }

    private MemberChangeReply DecideLocked(MemberChangeKind kind, MemberRecord proposed, out MemberRecord? removal)
    {
        removal = null;
        if (_removing.Contains(proposed.NodeId))
        {
            return BeingRemoved(proposed.NodeId);
        }

        var current = _members.Get(proposed.NodeId);
        var live = current is { Removed: false } ? current : null;
        switch (kind)
        {
            case MemberChangeKind.Add when live is not null:
                if (SameUrl(live.Url, proposed.Url))
                {
                    return new MemberChangeReply(MemberChangeStatus.Applied, live, null); // already a member there
                }

                return IsAlive(live)
                    ? Conflict($"node id {live.NodeId} belongs to the live member at {live.Url}")
                    : Applied(live with { Url = proposed.Url, Incarnation = Math.Max(live.Incarnation, proposed.Incarnation) });
            case MemberChangeKind.Add:
                if (_members.All.FirstOrDefault(m => !m.Removed && SameUrl(m.Url, proposed.Url)) is { } other)
                {
                    return Conflict($"{proposed.Url} is the URL of member {other.NodeId}");
                }

                return Applied(proposed with { Order = _members.NextOrder(), Removed = false });
            case MemberChangeKind.Move when live is not null:
                return IsAlive(live) && !SameUrl(live.Url, proposed.Url)
                    ? Conflict($"node id {live.NodeId} belongs to the live member at {live.Url}")
                    : Applied(live with { Url = proposed.Url, Incarnation = Math.Max(live.Incarnation, proposed.Incarnation) });
            case MemberChangeKind.Update when live is not null:
                return live.Capacity == proposed.Capacity && live.Mode == proposed.Mode
                    ? new MemberChangeReply(MemberChangeStatus.Applied, live, null)
                    : Applied(live with { Capacity = proposed.Capacity, Mode = proposed.Mode });
            case MemberChangeKind.Remove when live is not null && !_members.All.Any(m => !m.Removed && m.NodeId != live.NodeId && !_removing.Contains(m.NodeId)):
                // The last member: removed, it would serve nobody and no member would be left to add it (or any node) back —
                // a cluster no API call can repair, not even after a restart (attack 2026-12-05).
                return Conflict($"{live.NodeId} is the last member of the cluster; a cluster keeps at least one member (add another node before removing this one).");
            case MemberChangeKind.Remove when live is not null:
                // Stamped now; in the list and applied (roles, connections) once the node itself confirmed it (ApplyRemovalAsync).
                removal = _agent.Stamp(live with { Removed = true });
                _removing.Add(live.NodeId);
                return new MemberChangeReply(MemberChangeStatus.Applied, removal, null);
            case MemberChangeKind.Check when live is not null:
                return new MemberChangeReply(MemberChangeStatus.Applied, live, null); // changes nothing
            default:
                return new MemberChangeReply(MemberChangeStatus.NotFound, null, $"No node '{proposed.NodeId}' in the cluster.");
        }
    }

    private MemberChangeReply Applied(MemberRecord record) => new(MemberChangeStatus.Applied, _agent.Update(record), null);

    private static MemberChangeReply Conflict(string error) => new(MemberChangeStatus.Conflict, null, error);

    private static MemberChangeReply Unavailable(string error) => new(MemberChangeStatus.Unavailable, null, error);

    private bool IsAlive(MemberRecord member) => member.NodeId == Self || _detector.IsAlive(member.NodeId);

    /// <summary>True when two member URLs name the same node (scheme, host and port; a trailing slash or case aside).</summary>
    public static bool SameUrl(string a, string b) =>
        string.Equals(a?.TrimEnd('/'), b?.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(EventId = LogEvents.RemovalUnconfirmed, Level = LogLevel.Warning, Message = "Membership authority {NodeId}: {MemberId} did not confirm its removal ({Reason}); removed anyway, its clients fail over now")]
    private partial void LogRemovalUnconfirmed(string nodeId, string memberId, string reason);

    [LoggerMessage(EventId = LogEvents.Decided, Level = LogLevel.Information, Message = "Membership authority {NodeId}: {Kind} {MemberId} → {Status} (list version {Version})")]
    private partial void LogDecided(string nodeId, MemberChangeKind kind, string memberId, MemberChangeStatus status, long version);
}
