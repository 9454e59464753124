namespace ClusterEngine.Mirroring;

/// <summary>
/// Options of the cache mirrors (configuration section <c>Mirror</c>, DESIGN.md §8 and §12; patent Fig. 9 and 10).
/// Validated at start by <see cref="MirrorOptionsValidator"/>.
/// </summary>
public sealed class MirrorOptions
{
    /// <summary>The configuration section: <c>Mirror</c>.</summary>
    public const string SectionName = "Mirror";

    /// <summary>When the alternate's mirror is brought in step. Default <see cref="MirrorSyncPolicy.EveryNTransactions"/>.</summary>
    public MirrorSyncPolicy SyncPolicy { get; set; } = MirrorSyncPolicy.EveryNTransactions;

    /// <summary>Transactions of one client per sync for <see cref="MirrorSyncPolicy.EveryNTransactions"/>. Default 10; 1–1,000,000.</summary>
    public int SyncEvery { get; set; } = 10;

    /// <summary>Period of <see cref="MirrorSyncPolicy.Periodic"/>. Default 00:00:05; from 100 ms to 1 day.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Mirror entries kept per client; the least recently used entry leaves first. Default 256; 1–100,000.</summary>
    public int MaxEntriesPerClient { get; set; } = 256;
}
