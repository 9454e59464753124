using ClusterEngine.Backplane;

namespace ClusterEngine.Mirroring.Sync;

/// <summary>What one sync did for one client (for counters, events and tests).</summary>
/// <param name="ClientId">The client.</param>
/// <param name="Alternate">The alternate it was sent to.</param>
/// <param name="Status">The alternate's answer, or <see langword="null"/> when the alternate could not be reached.</param>
/// <param name="Full">Whether the whole mirror was sent (new alternate, or a delta was refused).</param>
/// <param name="EntriesSent">Mirror entries sent, all attempts.</param>
/// <param name="BytesSent">Estimated message bytes sent for this client, all attempts.</param>
/// <param name="Sequence">The primary's mirror sequence that was sent.</param>
/// <param name="Lag">Time from the oldest change the alternate lacked until its acknowledgement, when it is now in step.</param>
public sealed record MirrorSyncResult(string ClientId, string Alternate, MirrorSyncStatus? Status, bool Full, int EntriesSent, long BytesSent,
    ulong Sequence, TimeSpan? Lag)
{
    /// <summary>The alternate holds the sent state (applied now or before).</summary>
    public bool Acknowledged => Status is MirrorSyncStatus.Applied or MirrorSyncStatus.AlreadyCurrent or MirrorSyncStatus.Stale;
}

/// <summary>Outcome of <see cref="MirrorSynchronizer.SyncAsync"/> for a set of clients.</summary>
/// <param name="Results">One result per client that had something to send.</param>
/// <param name="Skipped">Clients with nothing to do: not primary here, no alternate, no mirror, or already in step.</param>
public sealed record MirrorSyncReport(IReadOnlyList<MirrorSyncResult> Results, int Skipped)
{
    /// <summary>A report of nothing.</summary>
    public static MirrorSyncReport Empty { get; } = new([], 0);
}
