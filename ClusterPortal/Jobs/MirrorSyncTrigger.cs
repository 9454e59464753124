using System.Collections.Concurrent;
using ClusterEngine.Mirroring;
using ClusterEngine.Mirroring.Sync;
using ClusterPortal.Metrics;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Jobs;

/// <summary>
/// Applies <c>Mirror:SyncPolicy</c> to the request path (docs/architecture.md §8): <c>EachTransaction</c> syncs inline, so the
/// alternate has acknowledged the change before the client gets its answer; <c>EveryNTransactions</c> marks the client
/// for a coalesced job every <c>Mirror:SyncEvery</c> item requests that changed its mirror; a logoff marks it under every job
/// policy. An answer that changed nothing (a repeat 304) costs nothing here.
/// </summary>
internal sealed class MirrorSyncTrigger(IOptions<MirrorOptions> options, MirrorSynchronizer sync, MirrorSyncQueue queue, MirrorStore mirrors,
    PortalInstruments metrics)
{
    private readonly ConcurrentDictionary<string, int> _transactions = new(StringComparer.Ordinal);

    private MirrorOptions Options => options.Value;

    /// <summary>An item request of <paramref name="clientId"/> was answered here (its mirror may have changed).</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="changed">Whether the answer changed the client's mirror.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    /// <returns>Completes at once, or for <c>EachTransaction</c> once the alternate acknowledged (or 2 s passed).</returns>
    public async ValueTask AfterTransactionAsync(string clientId, bool changed, CancellationToken cancellationToken)
    {
        if (!changed && (Options.SyncPolicy != MirrorSyncPolicy.EachTransaction || !mirrors.HasUnsyncedChanges(clientId)))
        {
            return; // nothing new for the alternate (EachTransaction still retries a change it has not acknowledged)
        }

        switch (Options.SyncPolicy)
        {
            case MirrorSyncPolicy.EachTransaction:
                metrics.Synced(await sync.SyncAsync([clientId], cancellationToken), MirrorSyncPolicy.EachTransaction);
                break;
            case MirrorSyncPolicy.EveryNTransactions:
                var count = _transactions.AddOrUpdate(clientId, 1, (_, n) => n + 1);
                if (count >= Options.SyncEvery)
                {
                    _transactions.TryRemove(clientId, out _);
                    queue.Mark(clientId);
                }

                break;
        }
    }

    /// <summary>The client logged off (<c>DELETE /api/sessions/{clientId}</c>): its sync is enqueued (all job policies).</summary>
    /// <param name="clientId">The client.</param>
    public void LoggedOff(string clientId)
    {
        if (Options.SyncPolicy != MirrorSyncPolicy.EachTransaction)
        {
            _transactions.TryRemove(clientId, out _);
            queue.Mark(clientId);
        }
    }
}
