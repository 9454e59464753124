namespace ClusterEngine.Mirroring;

/// <summary>The shapes a <see cref="ClientMirror"/> is built from: what all mirrors share, and one entry's slot.</summary>
internal sealed partial class ClientMirror
{
    /// <summary>What every client's mirror on a node shares: the bound, the lineage source and the key pool.</summary>
    internal sealed class Shared(int maxEntries, Func<ulong> newLineage, ItemKeyPool keys)
    {
        public int MaxEntries { get; } = maxEntries;

        public Func<ulong> NewLineage { get; } = newLineage;

        public ItemKeyPool Keys { get; } = keys;
    }

    /// <summary>
    /// One entry in 24 bytes: the key reference, the validator, the change counter within the mirror's lineage (every entry
    /// belongs to the lineage of the mirror's sequence: a new lineage either empties the mirror or renumbers its entries)
    /// and the size, which saturates at 4 GiB − 1 (a bigger item is recorded as that; only inspection and statistics read
    /// it). Its position in the array is its recency.
    /// </summary>
    private struct Slot(string key, ulong validator, long sizeBytes, uint counter)
    {
        public readonly string Key = key;
        public readonly ulong Validator = validator;
        public uint Counter = counter;
        public readonly uint Size = Clamp(sizeBytes);

        /// <summary>
        /// An entry of a state at <paramref name="state"/>. An entry that cannot belong to that state (another lineage, or a
        /// number after the state: a damaged row or a forged snapshot) counts as the state's own, newest change, so an
        /// echo of any earlier state drops it (docs/persistence.md) — never as an old one, which would outlive such an echo.
        /// </summary>
        public static Slot Of(MirrorEntry entry, ulong state, ItemKeyPool keys) =>
            new(keys.Share(entry.Key), entry.Validator, entry.SizeBytes,
                MirrorLineage.IsAtOrBefore(entry.Sequence, state) ? (uint)entry.Sequence : (uint)state);

        public static uint Clamp(long sizeBytes) => sizeBytes >= uint.MaxValue ? uint.MaxValue : (uint)sizeBytes;

        /// <summary>The public form, in the lineage of <paramref name="state"/> (the mirror's sequence).</summary>
        public readonly MirrorEntry ToEntry(ulong state) => new(Key, Validator, Size, (state & ~(ulong)uint.MaxValue) | Counter);
    }
}
