using ClusterEngine.Backplane;
using ClusterEngine.Events;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Mirroring.Sync;

/// <summary>
/// The primary's side of mirror synchronisation (docs/architecture.md §8; patent "Primary Server Selection": synchronised via
/// the management backplane on logoff, after a number of transactions, or after each transaction): sends each client's
/// mirror entries changed since its alternate's checkpoint (the whole mirror to a new alternate), batched by alternate
/// below <see cref="BackplaneMethods.MirrorSyncMaxBytes"/>, and advances the checkpoint on acknowledgement.
/// </summary>
/// <remarks>
/// A client's sync never runs twice at once: each client has an async lock, taken in ordinal order of client ids by
/// every caller (jobs carrying many clients, the inline each-transaction sync), so a duplicated job waits and then
/// finds nothing left to send. Repeating a sync is harmless: the alternate's merge is idempotent.
/// </remarks>
public sealed partial class MirrorSynchronizer
{
    private readonly TimeSpan _lockTimeout;
    private readonly TimeSpan _ackTimeout;
    private readonly ClusterState _state;
    private readonly MirrorStore _store;
    private readonly IMirrorSyncTransport _transport;
    private readonly ClusterEventFeed? _feed;
    private readonly ILogger _logger;
    private readonly Lock _locksGate = new();
    private readonly Dictionary<string, ClientLock> _locks = new(StringComparer.Ordinal);
    private int _maxConcurrentPerClient;

    /// <summary>Creates the synchronizer of this node.</summary>
    /// <param name="state">This node's cluster view (who is primary and alternate).</param>
    /// <param name="store">This node's mirrors and checkpoints.</param>
    /// <param name="transport">The backplane.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="feed">Event feed for <see cref="ClusterEventKind.Synced"/>; optional.</param>
    /// <param name="options">Acknowledgement and lock timeouts (<c>Mirror:SyncAckTimeout</c>, <c>Mirror:SyncLockTimeout</c>); the defaults when null.</param>
    public MirrorSynchronizer(ClusterState state, MirrorStore store, IMirrorSyncTransport transport, ILogger<MirrorSynchronizer> logger,
        ClusterEventFeed? feed = null, MirrorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(transport);
        (_state, _store, _transport, _logger, _feed) = (state, store, transport, logger, feed);
        options ??= new MirrorOptions();
        (_ackTimeout, _lockTimeout) = (options.SyncAckTimeout, options.SyncLockTimeout);
    }

    /// <summary>Clients with per-client sync state held right now (locks, running counts); 0 when no sync runs.</summary>
    internal int TrackedClientCount
    {
        get
        {
            lock (_locksGate)
            {
                return _locks.Count;
            }
        }
    }

    /// <summary>Most syncs of one client ever seen running at once on this node (1 is correct; for tests and diagnostics).</summary>
    public int MaxConcurrentPerClient => Volatile.Read(ref _maxConcurrentPerClient);

    /// <summary>Clients this node is primary of whose alternate has not acknowledged the current mirror (the periodic sync's work).</summary>
    /// <returns>Client ids.</returns>
    public IReadOnlyList<string> ClientsBehind() =>
        [.. _store.ClientIds.Where(id => _state.GetAssignment(id) is { } a && a.Primary == _state.LocalNodeId && a.Alternate is { } alt
            && _store.IsBehind(id, alt))];

    /// <summary>
    /// Syncs <paramref name="clientIds"/> to their alternates: for each client this node is primary of, the entries
    /// changed since the alternate's checkpoint (or the whole mirror), one batch stream per alternate.
    /// </summary>
    /// <param name="clientIds">The clients (duplicates ignored).</param>
    /// <param name="cancellationToken">Cancels waiting for locks and answers.</param>
    /// <returns>What was sent and acknowledged.</returns>
    public async Task<MirrorSyncReport> SyncAsync(IEnumerable<string> clientIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientIds);
        var ids = clientIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var held = new List<ClientLock>(ids.Count);
        try
        {
            foreach (var id in ids)
            {
                var gate = Enter(id);
                bool acquired;
                try
                {
                    acquired = await gate.Semaphore.WaitAsync(_lockTimeout, cancellationToken);
                }
                catch
                {
                    Leave(gate, acquired: false);
                    throw;
                }

                if (!acquired)
                {
                    Leave(gate, acquired: false);
                    throw new TimeoutException($"The mirror sync of client '{id}' did not get its lock within {_lockTimeout}.");
                }

                held.Add(gate);
                InterlockedMax(ref _maxConcurrentPerClient, Interlocked.Increment(ref gate.Running));
            }

            return await SyncLockedAsync(ids, cancellationToken);
        }
        finally
        {
            foreach (var gate in held)
            {
                Interlocked.Decrement(ref gate.Running);
                Leave(gate, acquired: true);
            }
        }
    }

    /// <summary>Takes a reference on the client's lock entry (created on first use).</summary>
    private ClientLock Enter(string clientId)
    {
        lock (_locksGate)
        {
            if (!_locks.TryGetValue(clientId, out var gate))
            {
                _locks[clientId] = gate = new ClientLock(clientId);
            }

            gate.Users++;
            return gate;
        }
    }

    /// <summary>Releases the lock (when held) and the reference; the last user removes the entry, so no client leaves state behind.</summary>
    private void Leave(ClientLock gate, bool acquired)
    {
        if (acquired)
        {
            gate.Semaphore.Release();
        }

        lock (_locksGate)
        {
            if (--gate.Users == 0)
            {
                _locks.Remove(gate.ClientId);
                gate.Dispose();
            }
        }
    }

    /// <summary>One client's sync lock: held by one sync at a time; <see cref="Users"/> counts holders and waiters (guarded by the table's lock).</summary>
    private sealed class ClientLock(string clientId) : IDisposable
    {
        public readonly string ClientId = clientId;
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int Users;
        public int Running;

        public void Dispose() => Semaphore.Dispose();
    }

    private async Task<MirrorSyncReport> SyncLockedAsync(List<string> ids, CancellationToken cancellationToken)
    {
        var skipped = 0;
        var work = new Dictionary<string, List<MirrorSnapshot>>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (_state.GetAssignment(id) is not { Alternate: { } alternate } a || a.Primary != _state.LocalNodeId)
            {
                skipped++;
                continue;
            }

            var checkpoint = _store.Checkpoint(id, alternate);
            if (_store.Mirror.ChangesSince(id, checkpoint) is not { } snapshot || snapshot.Sequence == checkpoint)
            {
                skipped++;
                continue;
            }

            (work.TryGetValue(alternate, out var list) ? list : work[alternate] = []).Add(snapshot);
        }

        var results = new List<MirrorSyncResult>();
        foreach (var (alternate, snapshots) in work)
        {
            results.AddRange(await SendAsync(alternate, snapshots, cancellationToken));
        }

        return new MirrorSyncReport(results, skipped);
    }

    private async Task<List<MirrorSyncResult>> SendAsync(string alternate, List<MirrorSnapshot> snapshots, CancellationToken cancellationToken)
    {
        var sent = await SendOnceAsync(alternate, snapshots, cancellationToken);
        var refusedDeltas = sent.Where(s => s.Value.Status == MirrorSyncStatus.NeedsFullSync).Select(s => s.Key).ToList();
        if (refusedDeltas.Count > 0)
        {
            // The alternate's mirror is not the delta's base (it restarted, or lost an earlier sync): send the whole mirror.
            var full = refusedDeltas.Select(id => _store.Mirror.ChangesSince(id, 0)).OfType<MirrorSnapshot>().ToList();
            foreach (var (id, retry) in await SendOnceAsync(alternate, full, cancellationToken))
            {
                var first = sent[id];
                sent[id] = retry with { EntriesSent = first.EntriesSent + retry.EntriesSent, BytesSent = first.BytesSent + retry.BytesSent };
            }
        }

        var results = new List<MirrorSyncResult>(sent.Count);
        foreach (var result in sent.Values)
        {
            var final = result;
            if (result.Acknowledged)
            {
                final = result with { Lag = _store.MarkSynced(result.ClientId, alternate, result.Sequence) };
                if (result.Status == MirrorSyncStatus.Applied)
                {
                    _feed?.Publish(ClusterEventKind.Synced, _state.LocalNodeId, result.ClientId,
                        $"{result.EntriesSent} entr{(result.EntriesSent == 1 ? "y" : "ies")} to {alternate} ({(result.Full ? "whole mirror" : "changes")})");
                }
            }
            else
            {
                LogNotAcknowledged(result.ClientId, alternate, result.Status);
            }

            results.Add(final);
        }

        return results;
    }

    private async Task<Dictionary<string, MirrorSyncResult>> SendOnceAsync(string alternate, List<MirrorSnapshot> snapshots, CancellationToken cancellationToken)
    {
        var results = snapshots.ToDictionary(s => s.ClientId, s => new MirrorSyncResult(s.ClientId, alternate, null, s.IsFull, 0, 0, s.Sequence, null),
            StringComparer.Ordinal);
        foreach (var batch in MirrorSyncBatcher.Batch(_state.LocalNodeId, snapshots, BackplaneMethods.MirrorSyncMaxBytes))
        {
            foreach (var part in batch.Parts)
            {
                var r = results[part.Snapshot.ClientId];
                results[r.ClientId] = r with
                {
                    EntriesSent = r.EntriesSent + part.Snapshot.Entries.Count,
                    BytesSent = r.BytesSent + MirrorSyncBatcher.HeaderBytes(part.Snapshot) + part.Snapshot.Entries.Sum(MirrorSyncBatcher.EntryBytes),
                };
            }

            var reply = await SendBatchAsync(alternate, batch, cancellationToken);
            if (reply is null)
            {
                break; // unreachable: the rest waits for the next sync (or the new alternate's full sync after a failover)
            }

            foreach (var ack in reply.Acks)
            {
                if (results.TryGetValue(ack.ClientId, out var r))
                {
                    results[ack.ClientId] = r with { Status = ack.Status, Sequence = ack.Status == MirrorSyncStatus.Stale ? ack.Sequence : r.Sequence };
                }
            }
        }

        return results;
    }

    /// <summary>One batch to the alternate, given up (null) when its acknowledgement takes longer than <c>Mirror:SyncAckTimeout</c>.</summary>
    private async Task<MirrorSyncReply?> SendBatchAsync(string alternate, MirrorSyncBatch batch, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_ackTimeout);
        try
        {
            return await _transport.SendMirrorSyncAsync(alternate, batch, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    [LoggerMessage(EventId = LogEvents.NotAcknowledged, Level = LogLevel.Debug, Message = "Mirror sync of {ClientId} to {Alternate} not acknowledged: {Status} (none: no answer)")]
    private partial void LogNotAcknowledged(string clientId, string alternate, MirrorSyncStatus? status);
}
