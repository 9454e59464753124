namespace ClusterEngine.Mirroring;

/// <summary>
/// What the primary sends the alternate to bring its mirror of one client in step (docs/architecture.md §8 sync policies):
/// either the full mirror or the entries changed since a checkpoint sequence the alternate acknowledged.
/// </summary>
/// <param name="ClientId">The client.</param>
/// <param name="IsFull">
/// <see langword="true"/>: <paramref name="Entries"/> is the whole mirror. <see langword="false"/>: a delta that
/// applies only to a mirror at <paramref name="BaseSequence"/> (entries changed after it; nothing was removed).
/// </param>
/// <param name="BaseSequence">The checkpoint a delta builds on; 0 for a full snapshot.</param>
/// <param name="Sequence">The primary's sequence number this snapshot brings the alternate to.</param>
/// <param name="Entries">Entries, least recently used first.</param>
public sealed record MirrorSnapshot(string ClientId, bool IsFull, ulong BaseSequence, ulong Sequence, IReadOnlyList<MirrorEntry> Entries);
