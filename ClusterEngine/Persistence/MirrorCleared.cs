namespace ClusterEngine.Persistence;

/// <summary>Deletes all mirror entries of a client (the client cleared its cache); its sequence row stays.</summary>
/// <param name="ClientId">The client's id.</param>
public sealed record MirrorCleared(string ClientId);
