namespace ClusterEngine.Placement;

/// <summary>A client's assignment: <c>clientId → (primary, alternate, version)</c> (docs/architecture.md §3).</summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Primary">Node id of the primary.</param>
/// <param name="Alternate">Node id of the alternate; null while the cluster has a single eligible node.</param>
/// <param name="Version">Version of the last change.</param>
/// <param name="Bounces">How often the client was bounced when it was placed (patent Fig. 4, step 480).</param>
/// <param name="Registration">The version counter of the decision that placed this client id anew; the same through every
/// later change of the assignment, another one once the id has been removed and announced again. Client tokens are bound to
/// it (docs/architecture.md §5). 0: unknown (placed or stored by a build without it).</param>
public sealed record Assignment(string ClientId, string Primary, string? Alternate, AssignmentVersion Version, int Bounces, long Registration = 0);
