using System.Security.Cryptography;
using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Placement;

/// <summary>
/// A client id is claimed once cluster-wide (docs/identity.md, "A client id is claimed once"). Before a node places a client it does
/// not know, it asks the id's claim owner — the first Up node in the id's rendezvous order (<see cref="ClaimOwnership"/>) —
/// for a claim. The owner answers from its own view: <see cref="ClaimOutcome.Exists"/> (with the assignment) when it knows
/// the client, <see cref="ClaimOutcome.Contended"/> while another announce holds a pending claim, else
/// <see cref="ClaimOutcome.Granted"/>: a pending claim for <c>Cluster:ClientClaimTimeout</c>, which the client's assignment
/// replaces when it arrives (the owner then answers <c>Exists</c>), and which expires if that announce died. An owner that
/// is not Up answers <see cref="ClaimOutcome.NotReady"/>; one that sees another owner in its own view answers
/// <see cref="ClaimOutcome.NotOwner"/>: a claim is granted only where the announcing node's view and the owner's agree.
/// When the owner cannot be reached the next node in the order is asked, and it grants only if its own view agrees that
/// the owner is not Up. Thread-safe.
/// </summary>
public sealed partial class ClientClaims
{
    private const int SweepEvery = 256;
    private readonly ClusterNode _node;
    private readonly LocalNodeStatus _self;
    private readonly IClaimTransport _transport;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private int _granted;

    /// <summary>Creates the claims of <paramref name="node"/>.</summary>
    /// <param name="node">This node (view, change stream).</param>
    /// <param name="self">Whether this node is Up (only an Up node decides claims).</param>
    /// <param name="transport">Carries claims to other owners.</param>
    /// <param name="options"><c>Cluster:ClientClaimTimeout</c>.</param>
    /// <param name="time">Clock of the claims' expiry.</param>
    /// <param name="logger">Logger.</param>
    public ClientClaims(ClusterNode node, LocalNodeStatus self, IClaimTransport transport, IOptions<ClusterOptions> options, TimeProvider time,
        ILogger<ClientClaims> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _self, _transport, _time, _logger) = (node, self, transport, time, logger);
        _lifetime = options.Value.ClientClaimTimeout;
    }

    /// <summary>How long an announce holding a claim may take to place the client (half the claim's lifetime).</summary>
    public TimeSpan PlacementBudget => _lifetime / 2;

    /// <summary>Pending claims this node holds as owner (for tests and metrics).</summary>
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
    /// The announcing node's side: asks the owner (and, when it cannot be reached, the next nodes of the order; at most
    /// three nodes, one redirect) for a claim of <paramref name="clientId"/>.
    /// </summary>
    public async Task<ClaimResult> ClaimAsync(string clientId, CancellationToken cancellationToken)
    {
        var request = new ClaimRequest(clientId, NewClaimId());
        var order = ClaimOwnership.Order(clientId, State.Snapshot);
        var tried = new List<string>(3);
        var next = order.Count > 0 ? order[0] : null;
        while (next is not null && tried.Count < 3)
        {
            tried.Add(next);
            var reply = next == _node.NodeId ? OnClaim(_node.NodeId, request) : await _transport.ClaimAsync(next, request, cancellationToken);
            switch (reply)
            {
                case { Outcome: ClaimOutcome.Granted }:
                    return new ClaimResult(ClaimOutcome.Granted, next, request, null);
                case { Outcome: ClaimOutcome.Exists or ClaimOutcome.Contended }:
                    return new ClaimResult(reply.Outcome, next, request, reply.Assignment);
                case { Outcome: ClaimOutcome.NotOwner, Owner: { } owner } when !tried.Contains(owner):
                    next = owner; // the views disagree: ask whom the answering node names
                    break;
                case { Outcome: ClaimOutcome.NotOwner }:
                    next = null; // it names a node already tried: no owner both views agree on now
                    break;
                default:
                    next = order.FirstOrDefault(id => !tried.Contains(id)); // unreachable or not ready: the next in the order
                    break;
            }
        }

        LogNoOwner(clientId, string.Join(",", tried));
        return new ClaimResult(ClaimOutcome.Unavailable, null, request, null);
    }

    /// <summary>The claim was granted but nobody was placed: the owner forgets it now instead of at its expiry.</summary>
    public void Release(ClaimResult granted)
    {
        if (granted is { Outcome: ClaimOutcome.Granted, Owner: { } owner })
        {
            if (owner == _node.NodeId)
            {
                OnRelease(owner, granted.Request);
            }
            else
            {
                _transport.Release(owner, granted.Request);
            }
        }
    }

    /// <summary>The owner's side: decides a claim of <paramref name="claimantNodeId"/> on this node's view.</summary>
    public ClaimReply OnClaim(string claimantNodeId, ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (State.GetAssignment(request.ClientId) is { } existing)
        {
            return new ClaimReply(ClaimOutcome.Exists, PlacementCoordinator.ToDelta(existing));
        }

        if (_self.State != NodeState.Up)
        {
            return new ClaimReply(ClaimOutcome.NotReady);
        }

        var owner = ClaimOwnership.OwnerOf(request.ClientId, State.Snapshot);
        if (owner != _node.NodeId)
        {
            return new ClaimReply(ClaimOutcome.NotOwner, Owner: owner);
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_pending.TryGetValue(request.ClientId, out var held) && held.ExpiresAt > now && held.ClaimId != request.ClaimId)
            {
                return new ClaimReply(ClaimOutcome.Contended);
            }

            _pending[request.ClientId] = new Pending(request.ClaimId, claimantNodeId, now + _lifetime);
            if (++_granted % SweepEvery == 0)
            {
                Sweep(now);
            }
        }

        return new ClaimReply(ClaimOutcome.Granted);
    }

    /// <summary>The owner's side of a release: forgets the claim if it is still that announce's.</summary>
    public void OnRelease(string claimantNodeId, ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (_pending.TryGetValue(request.ClientId, out var held) && held.ClaimId == request.ClaimId && held.Claimant == claimantNodeId)
            {
                _pending.Remove(request.ClientId);
            }
        }
    }

    /// <summary>Drops expired claims and those whose client now has an assignment (the lock is held).</summary>
    private void Sweep(DateTimeOffset now)
    {
        foreach (var (clientId, held) in _pending.ToList())
        {
            if (held.ExpiresAt <= now || State.GetAssignment(clientId) is not null)
            {
                _pending.Remove(clientId);
            }
        }
    }

    private static string NewClaimId()
    {
        Span<byte> id = stackalloc byte[12];
        RandomNumberGenerator.Fill(id);
        return Convert.ToHexStringLower(id);
    }

    private readonly record struct Pending(string ClaimId, string Claimant, DateTimeOffset ExpiresAt);

    [LoggerMessage(EventId = LogEvents.NoOwner, Level = LogLevel.Warning, Message = "No claim owner of client {ClientId} could decide (asked {Asked}): the announce answers 503")]
    private partial void LogNoOwner(string clientId, string asked);
}

/// <summary>What the announcing node got for its claim.</summary>
/// <param name="Outcome">Granted, Exists, Contended or Unavailable.</param>
/// <param name="Owner">The node that decided (to release a granted claim with).</param>
/// <param name="Request">The claim as sent.</param>
/// <param name="Existing">For <see cref="ClaimOutcome.Exists"/>: the client's assignment as the owner holds it.</param>
public sealed record ClaimResult(ClaimOutcome Outcome, string? Owner, ClaimRequest Request, AssignmentDelta? Existing);
