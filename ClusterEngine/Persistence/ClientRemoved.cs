namespace ClusterEngine.Persistence;

/// <summary>
/// Deletes a removed client's mirror entries and sequence row. Its assignment row is kept as a
/// tombstone by the removal <see cref="ClusterEngine.Placement.AssignmentDelta"/>.
/// </summary>
/// <param name="ClientId">The client's id.</param>
public sealed record ClientRemoved(string ClientId);
