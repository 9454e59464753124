namespace ClusterEngine.Mirroring;

/// <summary>
/// Options of the cache mirrors (configuration section <c>Mirror</c>, docs/architecture.md §8 and §12; patent Fig. 9 and 10).
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

    /// <summary>Mirror entries kept per client; the least recently used entry leaves first. Default 256; 1–4,096.</summary>
    public int MaxEntriesPerClient { get; set; } = 256;

    /// <summary>
    /// How long a sync waits for the alternate's acknowledgement of one batch (<c>MirrorSync</c>); an inline
    /// <see cref="MirrorSyncPolicy.EachTransaction"/> sync holds the client's answer at most this long. Default 2 s; positive.
    /// </summary>
    public TimeSpan SyncAckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a sync waits for another sync of the same client to finish before it fails. Default 30 s; longer than <see cref="SyncAckTimeout"/>.</summary>
    public TimeSpan SyncLockTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
