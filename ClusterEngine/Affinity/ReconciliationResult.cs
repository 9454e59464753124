namespace ClusterEngine.Affinity;

/// <summary>What a node that became available again gave up (patent Fig. 7, steps 720–730).</summary>
/// <param name="DroppedPrimaries">Clients this node served as primary that a newer assignment gives to another node.</param>
/// <param name="DroppedAlternates">Clients this node served as alternate that a newer assignment gives to another node (their mirrors go too).</param>
/// <param name="Applied">Number of peer deltas that changed this view.</param>
public sealed record ReconciliationResult(IReadOnlyList<string> DroppedPrimaries, IReadOnlyList<string> DroppedAlternates, int Applied);
