namespace ClusterEngine.Placement;

/// <summary>
/// One change of one client's assignment, as broadcast in <c>AssignmentChanged</c> (docs/architecture.md §7) and
/// persisted. Applying deltas keeps the newest version per client, so any order of delivery and any
/// number of repeats give the same table.
/// </summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Primary">New primary node id; null when the client was removed.</param>
/// <param name="Alternate">New alternate node id, or null for none.</param>
/// <param name="Version">Version of this change.</param>
/// <param name="Bounces">Bounces made when the client was placed.</param>
/// <param name="Reason">Why the assignment changed.</param>
/// <param name="Registration">The registration the assignment belongs to (<see cref="Assignment.Registration"/>): the version
/// counter of the decision that placed the client id anew, at most <paramref name="Version"/>'s counter; 0 when unknown (a
/// delta from a build without it).</param>
public sealed record AssignmentDelta(
    string ClientId,
    string? Primary,
    string? Alternate,
    AssignmentVersion Version,
    int Bounces,
    AssignmentChangeReason Reason,
    long Registration = 0)
{
    /// <summary>True when this delta removes the client.</summary>
    public bool IsRemoval => Primary is null;
}
