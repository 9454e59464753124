namespace ClusterEngine.Persistence;

/// <summary>A client's mirror sequence and sync checkpoint (upserted by <see cref="ClientId"/>; the last write wins).</summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Sequence">The client's current mirror sequence number.</param>
/// <param name="SyncedSequence">The highest sequence known to be synchronised to the alternate.</param>
public sealed record MirrorClientRecord(string ClientId, ulong Sequence, ulong SyncedSequence);
