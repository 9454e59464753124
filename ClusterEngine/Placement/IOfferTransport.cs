using ClusterEngine.Backplane;

namespace ClusterEngine.Placement;

/// <summary>Carries an offer of a new client to a potential primary and returns its answer (the backplane; in memory in tests).</summary>
public interface IOfferTransport
{
    /// <summary>Offers <paramref name="offer"/> to <paramref name="nodeId"/>.</summary>
    /// <param name="nodeId">The potential primary (never this node: the coordinator answers its own offers).</param>
    /// <param name="offer">The client, its bounces so far and the nodes offered so far.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The answer, or null when the node could not be reached or did not answer in time (treated as a refusal).</returns>
    Task<OfferReply?> OfferAsync(string nodeId, OfferRequest offer, CancellationToken cancellationToken);
}
