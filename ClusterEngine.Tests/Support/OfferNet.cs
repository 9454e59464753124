using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Tests.Support;

/// <summary>
/// Several engine instances n1..nK, each with its own view and its production <see cref="PlacementCoordinator"/>,
/// joined by an in-memory offer transport (the <c>Offer</c> call) and an in-memory broadcast of every local change
/// (the <c>AssignmentChanged</c> message): the Fig. 3/4 placement loop as it runs between nodes, without sockets.
/// </summary>
internal sealed class OfferNet
{
    private readonly Dictionary<string, Instance> _nodes = new(StringComparer.Ordinal);

    public OfferNet(params int[] capacities)
        : this(new ClusterOptions(), capacities)
    {
    }

    public OfferNet(ClusterOptions options, params int[] capacities)
    {
        var transport = new Transport(this);
        for (var i = 1; i <= capacities.Length; i++)
        {
            var id = $"n{i}";
            var state = new ClusterState(id, options, time: Time); // one clock for the versions and the claims
            for (var j = 1; j <= capacities.Length; j++)
            {
                state.AddOrUpdateNode(new NodeInfo($"n{j}", $"http://127.0.0.1:{5100 + j}", capacities[j - 1], Order: j));
            }

            var tags = new RetryTags(Options.Create(options), Time);
            var node = new ClusterNode(state, new ClusterChanges([new Broadcast(this, id), tags]));
            var self = new LocalNodeStatus(node, Options.Create(options), TimeProvider.System, NullLogger<LocalNodeStatus>.Instance);
            self.Set(NodeState.Up);
            var claims = new ClientClaims(node, self, new ClaimTransport(this, id), Options.Create(options), Time, tags, NullLogger<ClientClaims>.Instance);
            _nodes[id] = new Instance(state, new PlacementCoordinator(node, self, transport, claims), claims, self, tags);
        }
    }

    /// <summary>The clock of every node's claims (expiry).</summary>
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch.AddYears(56));

    /// <summary>Nodes whose claim answers are lost (an owner that cannot be reached); offers are not affected (<see cref="Unreachable"/>).</summary>
    public HashSet<string> ClaimsUnreachable { get; } = new(StringComparer.Ordinal);

    /// <summary>Claims sent over the transport (claimant → owner), in order.</summary>
    public List<(string From, string To)> Claims { get; } = [];

    /// <summary>The claims role of <paramref name="nodeId"/>.</summary>
    public ClientClaims ClaimsOf(string nodeId) => _nodes[nodeId].Claims;

    /// <summary>Sets <paramref name="nodeId"/>'s own state (its claims answer only while Up).</summary>
    public void SetSelf(string nodeId, NodeState state) => _nodes[nodeId].Self.Set(state);

    /// <summary>Whether <paramref name="nodeId"/> hears a majority (a node without quorum refuses offers).</summary>
    public void SetQuorum(string nodeId, bool hasQuorum) => _nodes[nodeId].Self.SetQuorum(hasQuorum);

    /// <summary>Nodes whose offers fail as if unreachable (no answer in time).</summary>
    public HashSet<string> Unreachable { get; } = new(StringComparer.Ordinal);

    /// <summary>Nodes that decide an offer (and publish what they accepted) but whose answer is lost on the way back.</summary>
    public HashSet<string> AnswersLost { get; } = new(StringComparer.Ordinal);

    /// <summary>Nodes whose offers never answer: the offer waits until it is cancelled (by the announce's budget).</summary>
    public HashSet<string> Hanging { get; } = new(StringComparer.Ordinal);

    /// <summary>The nodes offered a client over the transport (not the announcing node's own decisions), in order.</summary>
    public List<string> Offers { get; } = [];

    public ClusterState this[string nodeId] => _nodes[nodeId].State;

    public Task<AnnounceResult> AnnounceAsync(string atNode, string clientId, string? retryTag = null) =>
        _nodes[atNode].Placement.AnnounceAsync(clientId, retryTag, CancellationToken.None);

    /// <summary>Puts <paramref name="count"/> existing clients on <paramref name="primary"/> in every node's view.</summary>
    public void Seed(string primary, int count)
    {
        var deltas = Enumerable.Range(0, count).Select(i => new AssignmentDelta($"seed-{primary}-{i}", primary, null,
            new AssignmentVersion(1, "seed"), 0, AssignmentChangeReason.Assigned)).ToList();
        foreach (var instance in _nodes.Values)
        {
            instance.State.Apply(deltas);
        }
    }

    /// <summary>Sets a node's capacity in every view (an operator's change, gossiped).</summary>
    public void SetCapacity(string nodeId, int capacity)
    {
        foreach (var instance in _nodes.Values)
        {
            instance.State.SetCapacity(nodeId, capacity);
        }
    }

    private sealed record Instance(ClusterState State, PlacementCoordinator Placement, ClientClaims Claims, LocalNodeStatus Self, RetryTags Tags);

    /// <summary>The retry tags <paramref name="nodeId"/> keeps as a claim holder.</summary>
    public RetryTags TagsOf(string nodeId) => _nodes[nodeId].Tags;

    /// <summary>
    /// Applies <paramref name="deltas"/> at <paramref name="nodeId"/> as a merge from a peer does: into its view, then through
    /// its change stream (the retry tags watch it).
    /// </summary>
    public void Deliver(string nodeId, params AssignmentDelta[] deltas) =>
        _nodes[nodeId].Tags.OnChange(new AssignmentsChanged(_nodes[nodeId].State.Apply(deltas), Local: false));

    private sealed class ClaimTransport(OfferNet net, string from) : IClaimTransport
    {
        public Task<ClaimReply?> ClaimAsync(string nodeId, ClaimRequest claim, CancellationToken cancellationToken)
        {
            net.Claims.Add((from, nodeId));
            return Task.FromResult(net.ClaimsUnreachable.Contains(nodeId) ? null : net._nodes[nodeId].Claims.OnClaim(from, claim));
        }

        public void Release(string nodeId, ClaimRequest claim)
        {
            if (!net.ClaimsUnreachable.Contains(nodeId))
            {
                net._nodes[nodeId].Claims.OnRelease(from, claim);
            }
        }
    }

    private sealed class Transport(OfferNet net) : IOfferTransport
    {
        public async Task<OfferReply?> OfferAsync(string nodeId, OfferRequest offer, CancellationToken cancellationToken)
        {
            net.Offers.Add(nodeId);
            if (net.Hanging.Contains(nodeId))
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (net.Unreachable.Contains(nodeId))
            {
                return null;
            }

            var reply = net._nodes[nodeId].Placement.OnOffer(offer);
            return net.AnswersLost.Contains(nodeId) ? null : reply;
        }
    }

    /// <summary>Delivers every change a node decides to every other node, as the backplane outbox does.</summary>
    private sealed class Broadcast(OfferNet net, string from) : IClusterChangeObserver
    {
        public void OnChange(ClusterChange change)
        {
            if (change is AssignmentsChanged { Local: true, Deltas: var deltas })
            {
                foreach (var (id, instance) in net._nodes)
                {
                    if (id != from)
                    {
                        net.Deliver(id, [.. deltas]);
                    }
                }
            }
        }
    }
}
