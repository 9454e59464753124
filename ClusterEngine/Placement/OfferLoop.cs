namespace ClusterEngine.Placement;

/// <summary>
/// Where the placement loop (<see cref="OfferLoop"/>) sends its offers: to the potential primaries themselves over the
/// backplane (a new client announced at this node), or to this node's own view deciding for each of them (a client
/// whose primary and alternate are both unavailable, re-placed by the node acting for the failed ones).
/// </summary>
/// <typeparam name="TNode">How a node is named: its id on the backplane, its index in the local view.</typeparam>
internal interface IOfferChannel<TNode>
{
    /// <summary>Patent Fig. 4, step 450: the round-robin pick, the first node to offer the client to; false when no node is eligible.</summary>
    bool TryFirstCandidate(out TNode candidate);

    /// <summary>Fig. 4, steps 460–490: offers the client to <paramref name="candidate"/>, which accepts, bounces or refuses (an unreachable node refuses).</summary>
    /// <param name="candidate">The potential primary.</param>
    /// <param name="bounces">Bounces so far.</param>
    /// <param name="offered">Nodes offered so far, <paramref name="candidate"/> last.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote answer.</param>
    ValueTask<OfferAnswer<TNode>> OfferAsync(TNode candidate, int bounces, List<TNode> offered, CancellationToken cancellationToken);

    /// <summary>The eligible node, not yet offered, with the lowest load ratio below capacity; false when none is left.</summary>
    bool TryLowestRatio(List<TNode> offered, out TNode candidate);
}

/// <summary>A potential primary's answer to one offer.</summary>
/// <param name="Outcome">Accept, bounce or refuse.</param>
/// <param name="BounceTo">The bounce target (only for <see cref="AdmissionOutcome.Bounce"/>).</param>
/// <param name="Accepted">The assignment the accepting node made, when it was decided remotely.</param>
/// <param name="Existing">True when the accepting node already knew the client (<paramref name="Accepted"/> is its existing assignment).</param>
internal readonly record struct OfferAnswer<TNode>(AdmissionOutcome Outcome, TNode BounceTo, AssignmentDelta? Accepted = null, bool Existing = false);

/// <summary>Where the placement loop ended.</summary>
/// <param name="Placed">False when the cluster is full (no node accepted and none below capacity is left).</param>
/// <param name="Primary">The node that accepted (when placed).</param>
/// <param name="Bounces">Bounces made.</param>
/// <param name="Accepted">The accepting node's assignment, when decided remotely.</param>
/// <param name="Existing">True when the accepting node already knew the client: nobody was placed.</param>
internal readonly record struct OfferLoopResult<TNode>(bool Placed, TNode Primary, int Bounces, AssignmentDelta? Accepted, bool Existing = false);

/// <summary>
/// The one placement loop of patent Fig. 3 and 4 (steps 310–350, 450–490), for new clients and for re-placement alike:
/// offer the client to the round-robin pick; the offered node decides itself (accept below its admission threshold,
/// else bounce to the lowest load ratio, see <see cref="PrimarySelector.Decide"/>); a bounce goes to its target when
/// that node was not offered yet; a refusal, an unreachable node or a bounce back falls to the eligible node not yet
/// offered with the lowest ratio below capacity; with none left the cluster is full. The rules are here once; the
/// <see cref="IOfferChannel{TNode}"/> says who decides.
/// </summary>
internal static class OfferLoop
{
    /// <summary>Runs the loop over <paramref name="channel"/>.</summary>
    /// <param name="channel">Where offers go.</param>
    /// <param name="offered">Receives the nodes offered, in order (cleared first).</param>
    /// <param name="cancellationToken">Cancels a remote offer.</param>
    public static async ValueTask<OfferLoopResult<TNode>> RunAsync<TNode, TChannel>(TChannel channel, List<TNode> offered, CancellationToken cancellationToken)
        where TNode : IEquatable<TNode>
        where TChannel : IOfferChannel<TNode>
    {
        offered.Clear();
        var bounces = 0;
        var has = channel.TryFirstCandidate(out var candidate);
        while (has && !offered.Contains(candidate))
        {
            offered.Add(candidate);
            var answer = await channel.OfferAsync(candidate, bounces, offered, cancellationToken).ConfigureAwait(false);
            switch (answer.Outcome)
            {
                case AdmissionOutcome.Accept:
                    return new(true, candidate, bounces, answer.Accepted, answer.Existing);
                case AdmissionOutcome.Bounce when !offered.Contains(answer.BounceTo):
                    candidate = answer.BounceTo;
                    bounces++;
                    break;
                default:
                    has = channel.TryLowestRatio(offered, out candidate);
                    break;
            }
        }

        return new(false, default!, bounces, null);
    }

    /// <summary>Runs the loop over a channel that answers at once (this node's view, under its lock).</summary>
    /// <exception cref="InvalidOperationException">The channel did not answer synchronously.</exception>
    public static OfferLoopResult<TNode> Run<TNode, TChannel>(TChannel channel, List<TNode> offered)
        where TNode : IEquatable<TNode>
        where TChannel : IOfferChannel<TNode>
    {
        var run = RunAsync<TNode, TChannel>(channel, offered, CancellationToken.None);
        return run.IsCompletedSuccessfully ? run.Result : throw new InvalidOperationException("A local offer channel must answer synchronously.");
    }
}
