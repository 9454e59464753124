namespace ClusterEngine.Persistence;

/// <summary>Deletes one entry of a client's mirror (eviction or invalidation).</summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Key">The data item's key.</param>
public sealed record MirrorEntryRemoved(string ClientId, string Key);
