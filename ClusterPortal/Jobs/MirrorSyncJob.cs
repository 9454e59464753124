using ClusterEngine.Mirroring;
using ClusterEngine.Mirroring.Sync;
using ClusterPortal.Metrics;
using Hangfire;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Jobs;

/// <summary>
/// The Hangfire jobs of mirror synchronisation (docs/architecture.md §8; patent "Primary Server Selection"): sync given clients
/// (on logoff, every N transactions, a new alternate), or every client whose alternate is behind (periodic). Jobs are
/// idempotent (the alternate's merge is) and a client's sync never runs twice at once (the synchronizer's per-client
/// lock), so a job Hangfire runs twice does no harm.
/// </summary>
public sealed class MirrorSyncJob
{
    private readonly MirrorSynchronizer _sync;
    private readonly MirrorSyncQueue _queue;
    private readonly PeriodicSyncScheduler _periodic;
    private readonly PortalInstruments _metrics;
    private readonly MirrorSyncPolicy _policy;

    internal MirrorSyncJob(MirrorSynchronizer sync, MirrorSyncQueue queue, PeriodicSyncScheduler periodic, PortalInstruments metrics,
        IOptions<MirrorOptions> options)
    {
        (_sync, _queue, _periodic, _metrics, _policy) = (sync, queue, periodic, metrics, options.Value.SyncPolicy);
    }

    /// <summary>Syncs <paramref name="clientIds"/> to their alternates (whatever changed since each one's checkpoint).</summary>
    /// <param name="clientIds">The clients this job carries.</param>
    /// <param name="cancellationToken">Hangfire's shutdown token.</param>
    /// <returns>A task that completes when every alternate answered or timed out (2 s per batch).</returns>
    [AutomaticRetry(Attempts = 3)]
    public async Task SyncClientsAsync(string[] clientIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientIds);
        _queue.Started(clientIds);
        _metrics.Synced(await _sync.SyncAsync(clientIds, cancellationToken), _policy);
    }

    /// <summary>
    /// The periodic sync (recurring job, cron): every client whose alternate lacks changes; at most once per period
    /// (a late or repeated firing in the same period does nothing).
    /// </summary>
    /// <param name="cancellationToken">Hangfire's shutdown token.</param>
    /// <returns>A task that completes when the run is done.</returns>
    [AutomaticRetry(Attempts = 0)]
    public Task SyncChangedAsync(CancellationToken cancellationToken) =>
        _periodic.TryClaimCurrent() ? RunPeriodicAsync(cancellationToken) : Task.CompletedTask;

    private async Task RunPeriodicAsync(CancellationToken cancellationToken)
    {
        _metrics.PeriodicRun();
        _metrics.Synced(await _sync.SyncAsync(_sync.ClientsBehind(), cancellationToken), _policy);
    }

    /// <summary>
    /// The periodic sync for an interval cron cannot express: runs slot <paramref name="slot"/> of chain
    /// <paramref name="chain"/> once, scheduling the next slot first. A chain of an earlier process (queued before a
    /// restart) or a slot that already ran (a duplicated job) does nothing, so there is no burst after a restart.
    /// </summary>
    /// <param name="chain">The chain id of the process that scheduled it.</param>
    /// <param name="slot">The period number (Unix time divided by the interval).</param>
    /// <param name="cancellationToken">Hangfire's shutdown token.</param>
    /// <returns>A task that completes when the run is done.</returns>
    [AutomaticRetry(Attempts = 0)]
    public async Task SyncChangedAndRescheduleAsync(string chain, long slot, CancellationToken cancellationToken)
    {
        if (!_periodic.TryClaim(chain, slot))
        {
            return;
        }

        await RunPeriodicAsync(cancellationToken);
    }
}
