namespace ClusterEngine.Placement;

/// <summary>A client's assignment: <c>clientId → (primary, alternate, version)</c> (docs/architecture.md §3).</summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Primary">Node id of the primary.</param>
/// <param name="Alternate">Node id of the alternate; null while the cluster has a single eligible node.</param>
/// <param name="Version">Version of the last change.</param>
/// <param name="Bounces">How often the client was bounced when it was placed (patent Fig. 4, step 480).</param>
public sealed record Assignment(string ClientId, string Primary, string? Alternate, AssignmentVersion Version, int Bounces);
