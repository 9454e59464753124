namespace ClusterEngine.Persistence;

/// <summary>One entry of a client's cache mirror (upserted by <see cref="ClientId"/> and <see cref="Key"/>; the last write wins).</summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Key">The data item's key.</param>
/// <param name="Validator">CRC-64 validator of the item the client holds (docs/architecture.md §8).</param>
/// <param name="Size">Item size in bytes.</param>
/// <param name="Sequence">The client's mirror sequence number when the entry was written.</param>
/// <param name="LastUsed">When the entry was last used (for least-recently-used eviction); stored with millisecond precision.</param>
public sealed record MirrorEntryRecord(string ClientId, string Key, ulong Validator, long Size, ulong Sequence, DateTimeOffset LastUsed);
