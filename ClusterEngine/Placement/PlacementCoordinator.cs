using ClusterEngine.Backplane;
using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// Places new clients (patent Fig. 3 and 4, steps 310–490): a client announcing itself at this node is offered by the
/// one placement loop (<see cref="OfferLoop"/>) to the round-robin pick, which decides itself (accept or bounce); an
/// unreachable or refusing node is skipped for the lowest-ratio node not yet offered; with none left the cluster is
/// full. It also answers the offers other nodes make to this one (<see cref="OnOffer"/>): admission is decided on this
/// node's view, and on accept this node becomes the primary and picks the alternate (Fig. 5).
/// </summary>
/// <param name="node">The local node (view and change stream).</param>
/// <param name="self">Whether this node may take clients now (Up, with quorum, Active).</param>
/// <param name="transport">Carries offers to the other nodes.</param>
/// <param name="claims">Claims a new client id at its two claim holders before it is placed (docs/identity.md).</param>
public sealed class PlacementCoordinator(ClusterNode node, LocalNodeStatus self, IOfferTransport transport, ClientClaims claims)
{
    private readonly ClusterNode _node = node;
    private readonly IOfferTransport _transport = transport;

    private ClusterState State => _node.State;

    /// <summary>
    /// A client announces itself at this node: its assignment, placed now when it has none. A client this node does not
    /// know is first claimed at its claim holders (<see cref="ClientClaims"/>): an id a holder knows is
    /// <see cref="PlacementOutcome.Existing"/>, one another announce holds is <see cref="PlacementOutcome.Contended"/>;
    /// only a granted claim is placed (patent Fig. 3/4), within <see cref="ClientClaims.PlacementBudget"/>.
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="cancellationToken">Cancels waiting for the claim and the offers.</param>
    public Task<AnnounceResult> AnnounceAsync(string clientId, CancellationToken cancellationToken) => AnnounceAsync(clientId, null, cancellationToken);

    /// <summary>
    /// As <see cref="AnnounceAsync(string, CancellationToken)"/>, with the device's announce retry key as a tag
    /// (<see cref="AnnounceRetry.Tag"/>): a new id's claim carries it to the claim holders, and for an id that exists —
    /// here or at a holder — the holders are asked whether it is the tag the id was registered with
    /// (<see cref="AnnounceResult.RetryMatched"/>: the device retrying an announce whose answer it lost; docs/identity.md).
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="retryTag">The tag, or null (no key: an existing client needs its token).</param>
    /// <param name="cancellationToken">Cancels waiting for the claim and the offers.</param>
    public async Task<AnnounceResult> AnnounceAsync(string clientId, string? retryTag, CancellationToken cancellationToken)
    {
        if (State.GetAssignment(clientId) is { } existing)
        {
            if (retryTag is null)
            {
                return new AnnounceResult(PlacementOutcome.Existing, existing, null, []);
            }

            return await claims.RecogniseRetryAsync(clientId, retryTag, cancellationToken) is { } matched
                ? new AnnounceResult(PlacementOutcome.Existing, State.GetAssignment(clientId) ?? existing, null, [], matched)
                : new AnnounceResult(PlacementOutcome.Unavailable, null, null, []); // no holder could say: retry, not "show your token"
        }

        var claim = await claims.ClaimAsync(clientId, retryTag, cancellationToken);
        switch (claim.Outcome)
        {
            case ClaimOutcome.Exists:
                var known = Known(clientId, claim.Existing, []);
                return retryTag is null || claim.RetryMatched ? known with { RetryMatched = claim.RetryMatched }
                    : known with { RetryMatched = await claims.RecogniseRetryAsync(clientId, retryTag, cancellationToken) == true }; // beyond the first holder
            case ClaimOutcome.Contended:
                return new AnnounceResult(PlacementOutcome.Contended, null, null, []);
            case not ClaimOutcome.Granted:
                return new AnnounceResult(PlacementOutcome.Unavailable, null, null, []);
        }

        var offered = new List<string>(2);
        var unanswered = new List<string>(1);
        OfferLoopResult<string> result;
        using (var budget = new RemoteOfferBudget(claims.PlacementBudget, cancellationToken))
        {
            try
            {
                result = await OfferLoop.RunAsync<string, OfferChannel>(new OfferChannel(this, clientId, unanswered, budget), offered, cancellationToken);
            }
            catch (OperationCanceledException) when (budget.Expired)
            {
                // The offer still waiting may have been accepted: its node made the assignment and the answer is late.
                if (offered.Count > 0 && State.GetAssignment(clientId) is { } late && PlacedByThisAnnounce(late.Primary, late.Version, [offered[^1], .. unanswered]))
                {
                    return new AnnounceResult(PlacementOutcome.Placed, late, null, offered);
                }

                claims.Release(claim);
                return new AnnounceResult(PlacementOutcome.Unavailable, null, null, offered); // out of the claim's time
            }
        }

        if (result is { Placed: true, Existing: true })
        {
            return PlacedByThisAnnounce(result.Accepted?.Primary, result.Accepted?.Version, unanswered)
                ? Placed(result.Accepted!, offered)
                : Known(clientId, result.Accepted, offered); // the offered node knew it: it exists after all
        }

        if (result is { Placed: true, Accepted: { } delta })
        {
            return Placed(delta, offered);
        }

        var raced = State.GetAssignment(clientId);
        if (raced is not null && PlacedByThisAnnounce(raced.Primary, raced.Version, unanswered))
        {
            return new AnnounceResult(PlacementOutcome.Placed, raced, null, offered);
        }

        claims.Release(claim);
        if (raced is not null)
        {
            return new AnnounceResult(PlacementOutcome.Existing, raced, null, offered);
        }

        // Full only when no eligible node is below capacity; otherwise the nodes that could take the client refused for
        // another reason (a peer frozen for a moment, this node without quorum): "full, retry in 30 s" would mislead.
        return new AnnounceResult(State.LowestRatioNode([]) is null ? PlacementOutcome.ClusterFull : PlacementOutcome.Refused, null, null, offered);
    }

    /// <summary>
    /// True when an assignment found for the client was made by this announce's own offer whose answer was lost: this
    /// announce holds the id's claim, so no other announce placed it meanwhile, and the assignment was made by a node
    /// this announce offered the client to and did not hear back from (timeout, a dropped connection). Answering
    /// "exists, show your token" then locked the device out of the id it had just registered (found by attack, once in
    /// about a million requests under removal churn: 376 × 401 over 210 s).
    /// </summary>
    private static bool PlacedByThisAnnounce(string? primary, AssignmentVersion? version, List<string> unanswered) =>
        primary is not null && version?.NodeId == primary && unanswered.Contains(primary);

    /// <summary>Placed by this announce: the assignment merged here when another node made it.</summary>
    private AnnounceResult Placed(AssignmentDelta delta, IReadOnlyList<string> offered)
    {
        if (delta.Primary != _node.NodeId)
        {
            _node.Publish(State.Apply([delta]), local: false);
        }

        return new AnnounceResult(PlacementOutcome.Placed, State.GetAssignment(delta.ClientId)!, delta, offered);
    }

    /// <summary>A client another node knows: its assignment merged here (when given), answered as existing.</summary>
    private AnnounceResult Known(string clientId, AssignmentDelta? known, IReadOnlyList<string> offered)
    {
        if (known is not null)
        {
            _node.Publish(State.Apply([known]), local: false);
        }

        return new AnnounceResult(PlacementOutcome.Existing, State.GetAssignment(clientId), null, offered);
    }

    /// <summary>
    /// <c>Offer</c>: this node is asked to be a new client's primary and decides itself (patent Fig. 4, steps 460–490);
    /// on accept it makes the assignment, chooses the alternate (Fig. 5) and publishes the change. A node that is not
    /// Up with quorum, or is in maintenance, refuses.
    /// </summary>
    public OfferReply OnOffer(OfferRequest offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        if (State.GetAssignment(offer.ClientId) is { } existing)
        {
            return new OfferReply(AdmissionOutcome.Accept, null, ToDelta(existing), Existing: true);
        }

        if (self.State != NodeState.Up || !self.HasQuorum || State.Members.ModeOf(_node.NodeId) != NodeMode.Active)
        {
            return new OfferReply(AdmissionOutcome.Refuse, null, null);
        }

        var decision = State.DecideOffer(offer.Bounces, offer.Offered);
        if (decision.Outcome != AdmissionOutcome.Accept)
        {
            return new OfferReply(decision.Outcome, decision.BounceTo, null);
        }

        var delta = State.AcceptAsPrimary(offer.ClientId, offer.Bounces);
        if (delta is null)
        {
            return new OfferReply(AdmissionOutcome.Accept, null, ToDelta(State.GetAssignment(offer.ClientId)!), Existing: true);
        }

        _node.Publish([delta], local: true);
        return new OfferReply(AdmissionOutcome.Accept, null, delta);
    }

    /// <summary>An assignment as the delta a peer merges.</summary>
    internal static AssignmentDelta ToDelta(Assignment a) => new(a.ClientId, a.Primary, a.Alternate, a.Version, a.Bounces, AssignmentChangeReason.Assigned, a.Registration);

    /// <summary>Offers of one client: to this node itself on its own view, to the others through the transport.</summary>
    /// <remarks><paramref name="unanswered"/> collects the peers whose answer never came: they may have accepted.</remarks>
    private readonly struct OfferChannel(PlacementCoordinator coordinator, string clientId, List<string> unanswered, RemoteOfferBudget budget)
        : IOfferChannel<string>
    {
        public bool TryFirstCandidate(out string candidate) => (candidate = coordinator.State.NextPotentialPrimary()!) is not null;

        public async ValueTask<OfferAnswer<string>> OfferAsync(string candidate, int bounces, List<string> offered, CancellationToken cancellationToken)
        {
            var offer = new OfferRequest(clientId, bounces, [.. offered]);
            var reply = candidate == coordinator._node.NodeId
                ? coordinator.OnOffer(offer)
                : await coordinator._transport.OfferAsync(candidate, offer, budget.Token);
            if (reply is null)
            {
                unanswered.Add(candidate);
            }

            return reply switch
            {
                { Outcome: AdmissionOutcome.Accept, Assignment: { } delta } => new(AdmissionOutcome.Accept, "", delta, reply.Existing),
                { Outcome: AdmissionOutcome.Bounce, BounceTo: { } target } => new(AdmissionOutcome.Bounce, target),
                _ => new(AdmissionOutcome.Refuse, ""),
            };
        }

        public bool TryLowestRatio(List<string> offered, out string candidate) => (candidate = coordinator.State.LowestRatioNode(offered)!) is not null;
    }

    /// <summary>
    /// The placement budget of one announce (<see cref="ClientClaims.PlacementBudget"/>), armed only when an offer goes to
    /// another node: an offer this node answers itself is a method call and needs no timer (a linked token source and a
    /// timer per announce were about 3 % of the bytes a lone node allocated per announce, README "Data path figures").
    /// </summary>
    private sealed class RemoteOfferBudget(TimeSpan budget, CancellationToken request) : IDisposable
    {
        private readonly long _started = Environment.TickCount64;
        private CancellationTokenSource? _source;

        /// <summary>The token of a remote offer: the request's, cancelled too when the budget (counted from the claim) is spent.</summary>
        public CancellationToken Token
        {
            get
            {
                if (_source is null)
                {
                    _source = CancellationTokenSource.CreateLinkedTokenSource(request);
                    _source.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(0, budget.TotalMilliseconds - (Environment.TickCount64 - _started))));
                }

                return _source.Token;
            }
        }

        /// <summary>True when the budget ran out while a remote offer waited (not when the request itself was cancelled).</summary>
        public bool Expired => _source?.IsCancellationRequested == true && !request.IsCancellationRequested;

        public void Dispose() => _source?.Dispose();
    }
}
