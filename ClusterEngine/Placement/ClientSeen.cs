namespace ClusterEngine.Placement;

/// <summary>
/// When a node last saw a client (docs/architecture.md §5, "Idle clients"): one entry of a <c>ClientsSeen</c> batch
/// (<see cref="Backplane.BackplaneMethods.ClientsSeen"/>) and of the stored last-seen times a restart restores.
/// </summary>
/// <param name="ClientId">The client.</param>
/// <param name="At">When it was last seen: whole seconds since the Unix epoch (UTC).</param>
public sealed record ClientSeen(string ClientId, long At);
