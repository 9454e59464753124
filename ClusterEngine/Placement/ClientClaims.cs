using System.Globalization;
using System.Security.Cryptography;
using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Placement;

/// <summary>
/// A client id is claimed once cluster-wide (docs/identity.md, "A client id is claimed once"). Before a node places a client it does
/// not know, it asks both of the id's claim holders — the first two Up nodes in the id's rendezvous order
/// (<see cref="ClaimOwnership"/>) — in that order, and places the client only when both grant. Each holder answers from its own
/// table: <see cref="ClaimOutcome.Exists"/> (with the assignment) when it knows the client, <see cref="ClaimOutcome.Contended"/>
/// while another announce holds a pending claim, else <see cref="ClaimOutcome.Granted"/>: a pending claim for
/// <c>Cluster:ClientClaimTimeout</c>, which the client's assignment replaces when it arrives (the holder then answers
/// <c>Exists</c>), and which expires if that announce died. A holder that is not Up answers <see cref="ClaimOutcome.NotReady"/>.
/// Two announcers whose views are at most one membership change apart ask holder sets that share a node, and that node
/// grants only one of them: a node joining or leaving during a claim cannot let two announces of one id both place it.
/// A holder that cannot be reached, or is not Up, makes the announce 503 until the views change. Thread-safe.
/// </summary>
public sealed partial class ClientClaims
{
    private const int SweepEvery = 256;
    private readonly ClusterNode _node;
    private readonly LocalNodeStatus _self;
    private readonly IClaimTransport _transport;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly RetryTags _tags;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private int _granted;
    private static readonly string s_claimPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private static long s_claimCounter;

    /// <summary>Creates the claims of <paramref name="node"/>.</summary>
    /// <param name="node">This node (view, change stream).</param>
    /// <param name="self">Whether this node is Up (only an Up node decides claims).</param>
    /// <param name="transport">Carries claims to other owners.</param>
    /// <param name="options"><c>Cluster:ClientClaimTimeout</c>.</param>
    /// <param name="time">Clock of the claims' expiry.</param>
    /// <param name="tags">The retry tags this node keeps as a claim holder.</param>
    /// <param name="logger">Logger.</param>
    public ClientClaims(ClusterNode node, LocalNodeStatus self, IClaimTransport transport, IOptions<ClusterOptions> options, TimeProvider time,
        RetryTags tags, ILogger<ClientClaims> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _self, _transport, _time, _tags, _logger) = (node, self, transport, time, tags, logger);
        _lifetime = options.Value.ClientClaimTimeout;
    }

    /// <summary>How long an announce holding a claim may take to place the client (half the claim's lifetime).</summary>
    public TimeSpan PlacementBudget => _lifetime / 2;

    /// <summary>Pending claims this node holds as a claim holder (for tests and metrics).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    private ClusterState State => _node.State;

    /// <summary>
    /// The announcing node's side: asks the claim holders of <paramref name="clientId"/> in this node's view, in the id's order. Granted
    /// only when all grant; <see cref="ClaimOutcome.Exists"/> when any knows the client (its assignment is adopted), else
    /// <see cref="ClaimOutcome.Contended"/> when any holds another announce's claim, else <see cref="ClaimOutcome.Unavailable"/>.
    /// Claims granted to an announce that does not go ahead are released at once.
    /// </summary>
    /// <param name="clientId">The client id.</param>
    /// <param name="retryTag">The device's retry key as a tag (<see cref="AnnounceRetry.Tag"/>), or null: kept by the holders
    /// with a granted claim; for an id they know, <see cref="ClaimResult.RetryMatched"/> says whether it is the tag the id
    /// was registered with.</param>
    /// <param name="cancellationToken">Cancels waiting for a holder.</param>
    public async Task<ClaimResult> ClaimAsync(string clientId, string? retryTag, CancellationToken cancellationToken)
    {
        var request = new ClaimRequest(clientId, NewClaimId(), retryTag);
        var holders = ClaimOwnership.HoldersOf(clientId, State.Members.UpNodeIds);
        var granted = new List<string>(holders.Count);
        ClaimReply? refusal = null;
        foreach (var holder in holders)
        {
            // One after the other, in the id's order: two announces with the same view meet at the first holder, and one of
            // them wins there (asked at once, each could take one holder and both be refused).
            var reply = holder == _node.NodeId ? OnClaim(_node.NodeId, request) : await _transport.ClaimAsync(holder, request, cancellationToken);
            if (reply is not { Outcome: ClaimOutcome.Granted })
            {
                refusal = reply;
                break;
            }

            granted.Add(holder);
        }

        if (holders.Count > 0 && granted.Count == holders.Count)
        {
            return new ClaimResult(ClaimOutcome.Granted, granted, request, null);
        }

        Release(new ClaimResult(ClaimOutcome.Granted, granted, request, null));
        switch (refusal?.Outcome)
        {
            case ClaimOutcome.Exists:
                return new ClaimResult(ClaimOutcome.Exists, [], request, refusal.Assignment, refusal.RetryMatched);
            case ClaimOutcome.Contended:
                return new ClaimResult(ClaimOutcome.Contended, [], request, null);
            default:
                LogNoOwner(clientId, holders.Count > 0 ? holders[granted.Count] : "(no node Up)");
                return new ClaimResult(ClaimOutcome.Unavailable, [], request, null);
        }
    }

    /// <summary>
    /// For a client id that exists: asks the first <see cref="ClaimOwnership.HolderCount"/> + 1 nodes of the id's order, one after
    /// the other, whether <paramref name="retryTag"/> is the tag the id's registration was claimed with (docs/identity.md, "A lost
    /// announce answer"). One more than the holders, because a node that joined or returned since the registration may now be
    /// a holder without having held that claim (found by attack: 15 of 40 retries refused after a node restarted). A node
    /// that does not know the id yet and grants the claim is released at once.
    /// </summary>
    /// <returns>True on a match; false when every node asked answered and none recognised the tag; null when one could not
    /// be asked (unreachable, not Up — also a member not Up that ranks among the first three of the id's order over every
    /// member) and none that could recognised it — the one that could not may be the one that knows.</returns>
    public async Task<bool?> RecogniseRetryAsync(string clientId, string retryTag, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(retryTag);
        var order = ClaimOwnership.Order(clientId, State.Members.UpNodeIds);
        var unanswered = NotAsked(clientId);
        for (var i = 0; i < Math.Min(order.Count, ClaimOwnership.HolderCount + 1); i++)
        {
            var node = order[i];
            var request = new ClaimRequest(clientId, NewClaimId(), retryTag);
            var reply = node == _node.NodeId ? OnClaim(_node.NodeId, request) : await _transport.ClaimAsync(node, request, cancellationToken);
            if (reply is { Outcome: ClaimOutcome.Granted })
            {
                Release(new ClaimResult(ClaimOutcome.Granted, [node], request, null));
            }

            unanswered |= reply is null or { Outcome: ClaimOutcome.NotReady };
            if (reply is { Outcome: ClaimOutcome.Exists, RetryMatched: true })
            {
                return true;
            }
        }

        return unanswered ? null : false;
    }

    /// <summary>
    /// True when a member that is not Up — and so is not asked — is among the first <see cref="ClaimOwnership.HolderCount"/> + 1
    /// nodes of <paramref name="clientId"/>'s order over every member: it may be a holder that granted the registration's
    /// claim. Found by attack: with both holders Down the node left asked only itself and answered 401, and the same retry got
    /// 201 once they were back (their tags survive a restart).
    /// </summary>
    private bool NotAsked(string clientId)
    {
        var members = State.Members;
        var everyone = new List<string>(members.Ordered.Length);
        foreach (var i in members.Ordered)
        {
            everyone.Add(members[i].NodeId);
        }

        var order = ClaimOwnership.Order(clientId, everyone);
        for (var i = 0; i < Math.Min(order.Count, ClaimOwnership.HolderCount + 1); i++)
        {
            if (members.StateOf(order[i]) != NodeState.Up)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The claim was granted but nobody was placed: its holders forget it now instead of at its expiry.</summary>
    public void Release(ClaimResult granted)
    {
        ArgumentNullException.ThrowIfNull(granted);
        if (granted.Outcome != ClaimOutcome.Granted)
        {
            return;
        }

        foreach (var holder in granted.Holders)
        {
            if (holder == _node.NodeId)
            {
                OnRelease(holder, granted.Request);
            }
            else
            {
                _transport.Release(holder, granted.Request);
            }
        }
    }

    /// <summary>A claim holder's side: decides a claim of <paramref name="claimantNodeId"/> from this node's table.</summary>
    public ClaimReply OnClaim(string claimantNodeId, ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (State.GetAssignment(request.ClientId) is { } existing)
        {
            return new ClaimReply(ClaimOutcome.Exists, PlacementCoordinator.ToDelta(existing),
                request.RetryTag is { } tag && _tags.Matches(request.ClientId, tag, existing.Registration));
        }

        if (_self.State != NodeState.Up)
        {
            return new ClaimReply(ClaimOutcome.NotReady);
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_pending.TryGetValue(request.ClientId, out var held) && held.ExpiresAt > now && held.ClaimId != request.ClaimId)
            {
                return new ClaimReply(ClaimOutcome.Contended);
            }

            _pending[request.ClientId] = new Pending(request.ClaimId, claimantNodeId, now + _lifetime);
            _tags.Granted(request.ClientId, request.ClaimId, request.RetryTag); // an earlier registration's tag is void
            if (++_granted % SweepEvery == 0)
            {
                Sweep(now);
            }
        }

        return new ClaimReply(ClaimOutcome.Granted);
    }

    /// <summary>A claim holder's side of a release: forgets the claim if it is still that announce's.</summary>
    public void OnRelease(string claimantNodeId, ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (_pending.TryGetValue(request.ClientId, out var held) && held.ClaimId == request.ClaimId && held.Claimant == claimantNodeId)
            {
                _pending.Remove(request.ClientId);
                _tags.Released(request.ClientId, request.ClaimId);
            }
        }
    }

    /// <summary>Drops expired claims and those whose client now has an assignment (the lock is held).</summary>
    private void Sweep(DateTimeOffset now)
    {
        foreach (var (clientId, held) in _pending) // Dictionary allows Remove while enumerating (since .NET Core 3.0)
        {
            if (held.ExpiresAt <= now || State.GetAssignment(clientId) is not null)
            {
                _pending.Remove(clientId);
            }
        }
    }

    /// <summary>
    /// A claim id no other announce in the cluster presents: this process's random 64-bit prefix and a counter. Drawn once
    /// per process rather than per announce: a call to the system's random source per announce cost a system call.
    /// </summary>
    private static string NewClaimId() =>
        string.Create(CultureInfo.InvariantCulture, $"{s_claimPrefix}-{(ulong)Interlocked.Increment(ref s_claimCounter):x}");

    private readonly record struct Pending(string ClaimId, string Claimant, DateTimeOffset ExpiresAt);

    [LoggerMessage(EventId = LogEvents.NoOwner, Level = LogLevel.Warning, Message = "Claim holder {Holder} of client {ClientId} could not decide (unreachable or not Up): the announce answers 503")]
    private partial void LogNoOwner(string clientId, string holder);
}

/// <summary>What the announcing node got for its claim.</summary>
/// <param name="Outcome">Granted, Exists, Contended or Unavailable.</param>
/// <param name="Holders">For <see cref="ClaimOutcome.Granted"/>: the claim holders that granted it (to release it with); else empty.</param>
/// <param name="Request">The claim as sent.</param>
/// <param name="Existing">For <see cref="ClaimOutcome.Exists"/>: the client's assignment as a claim holder has it.</param>
/// <param name="RetryMatched">For <see cref="ClaimOutcome.Exists"/>: the holder recognised the request's retry tag as the
/// one the id was registered with (<see cref="ClaimReply.RetryMatched"/>).</param>
public sealed record ClaimResult(ClaimOutcome Outcome, IReadOnlyList<string> Holders, ClaimRequest Request, AssignmentDelta? Existing, bool RetryMatched = false);
