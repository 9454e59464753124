namespace ClusterEngine.Placement;

/// <summary>Outcome of a client announcing itself (patent Fig. 1 step 100; Fig. 3 step 310; Fig. 4 step 410).</summary>
/// <param name="Outcome">Existing, placed, cluster full, contended or unavailable.</param>
/// <param name="Assignment">The client's assignment; null when nobody was placed (cluster full, contended, unavailable) or an
/// existing client's assignment is not known here.</param>
/// <param name="Change">The delta to broadcast and persist; null unless <see cref="PlacementOutcome.Placed"/>.</param>
/// <param name="Offered">Node ids the client was offered to, in order (round-robin pick first, then bounces).</param>
/// <param name="RetryMatched">For <see cref="PlacementOutcome.Existing"/>: a claim holder recognised the announce's retry tag
/// as the one the id was registered with, within <c>Cluster:AnnounceRetryWindow</c> — the device that registered it,
/// retrying an announce whose answer it lost, gets its token without presenting one (docs/identity.md).</param>
public sealed record AnnounceResult(
    PlacementOutcome Outcome,
    Assignment? Assignment,
    AssignmentDelta? Change,
    IReadOnlyList<string> Offered,
    bool RetryMatched = false);
