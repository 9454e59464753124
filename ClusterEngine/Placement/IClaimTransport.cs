using ClusterEngine.Backplane;

namespace ClusterEngine.Placement;

/// <summary>Carries a claim of a new client id to one of its claim holders and back (the backplane; in memory in tests; docs/identity.md).</summary>
public interface IClaimTransport
{
    /// <summary>Asks <paramref name="nodeId"/> for the claim.</summary>
    /// <param name="nodeId">A claim holder as the announcing node sees it (never this node: it answers its own claims).</param>
    /// <param name="claim">The client id and this announce's claim id.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The holder's answer, or null when it could not be reached or did not answer in time.</returns>
    Task<ClaimReply?> ClaimAsync(string nodeId, ClaimRequest claim, CancellationToken cancellationToken);

    /// <summary>Tells <paramref name="nodeId"/> the claim is no longer needed (nobody was placed); not waited for.</summary>
    void Release(string nodeId, ClaimRequest claim);
}
