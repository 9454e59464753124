using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using ClusterEngine.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>
/// The node's single database writer (docs/architecture.md §8–9). The hot path hands changes to <c>Enqueue</c>,
/// which merges them into the pending batch by key (newest version per client for assignments, last write per node,
/// client and (client, key) for the rest) under a short lock and returns. One dedicated thread, the
/// <em>committer</em>, takes the pending batch and writes it in one transaction, at most
/// <see cref="PersistenceOptions.MaxDelay"/> (default 100 ms) after its first change arrived, or sooner when
/// <see cref="PersistenceOptions.MaxBatchSize"/> changes are waiting or <see cref="FlushAsync"/> is called.
/// </summary>
/// <remarks>
/// <para>Queue policy: nothing is ever dropped, and a caller never waits for the database. <c>Enqueue</c> holds the
/// batch lock only to merge one change; the committer holds it only to swap the pending batch for an empty one, never
/// while it writes. Callers must never block on the database: on PostgreSQL, Npgsql's synchronous socket reads on Linux
/// are completed through the thread pool, so callers blocked behind a commit (thread-pool threads) starved the very
/// reads that would have let it finish (measured with an earlier bounded queue: 20,000 changes from 50 tasks took
/// 36 s instead of under 1 s). An earlier design had a second thread move changes from a queue into the batch; its
/// wake-up and spinning per change cost about 4 µs of CPU per announce (README, "Data path figures").</para>
/// <para>While a commit runs, and while a failed one waits to be retried, the pending batch keeps growing; since
/// it holds only the last write per key it is bounded by the node's own state, and the next transaction simply
/// carries more than <see cref="PersistenceOptions.MaxBatchSize"/> changes. When more than
/// <see cref="PersistenceOptions.QueueCapacity"/> changes wait behind a commit, warning 3104 says so once (until a
/// commit succeeds).</para>
/// <para>A failed commit — or one still running after <see cref="PersistenceOptions.CommitWait"/> — marks the database
/// unavailable (<see cref="IsAvailable"/>); a failed one is retried with back-off
/// (0.1 s doubling to 5 s) until it succeeds or the host's stop timeout ends it; then the batch (and whatever is
/// pending behind it) is logged as lost and pending flushes fault. Nothing is lost while the process lives; the first
/// successful commit marks the database available again and the pending batch follows at once. On host stop the
/// writer closes, and what is pending is written before <see cref="StopAsync"/> returns; <c>Enqueue</c> after stop
/// throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public sealed partial class PersistenceWriter : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly IDbContextFactory<NodeDbContext> _factory;
    private readonly NodeDatabase _database;
    private readonly PersistenceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _pendingGate = new(); // a Monitor (Wait/Pulse); guards _pending, _spare, _firstPendingAt, _closed and _backlogReported
    private WriteBatch _pending = new();
    private WriteBatch _spare = new();
    private long _firstPendingAt;
    private BatchSql.WriterSession? _session; // the committer thread's open connection, kept from batch to batch
    private ITimer? _commitWatch; // fires CommitWait after a commit started (OnCommitOverdue)
    private bool _watchArmed; // the timer will fire; guarded by _pendingGate
    private long _inFlightSince; // when the running commit's batch was taken (0: none); guarded by _pendingGate
    private int _inFlightChanges; // the changes of that batch (for the log line of an overdue commit); guarded by _pendingGate
    private TaskCompletionSource<bool>? _inFlightStored; // the answers waiting for the running commit; guarded by _pendingGate
    private bool _closed;
    private bool _backlogReported;
    private int _started;
    private int _disposed;
    private long _unavailableSince;
    private long _retryDelayTicks;

    internal PersistenceWriter(
        IDbContextFactory<NodeDbContext> factory,
        NodeDatabase database,
        PersistenceOptions options,
        TimeProvider time,
        ILogger<PersistenceWriter> logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxBatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.QueueCapacity);
        (_factory, _database, _options, _time, _logger) = (factory, database, options, time, logger);
    }

    /// <summary>Queues an assignment change; the stored row is replaced only by a newer version, and a removal keeps a tombstone row.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(AssignmentDelta change) => Write(change);

    /// <summary>Queues a member upsert.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(MemberRecord change) => Write(change);

    /// <summary>
    /// Queues a client's whole mirror (a full <see cref="MirrorSnapshot"/>: its sequence and every entry, least recently
    /// used first), stored as one row that replaces the client's previous one.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="change"/> is a delta, not the whole mirror.</exception>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(MirrorSnapshot change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!change.IsFull)
        {
            throw new ArgumentException("Only a whole mirror is stored, not a delta.", nameof(change));
        }

        Write(change);
    }

    /// <summary>
    /// Queues a client's last-seen time (<see cref="ClusterState.TakeSeenToStore"/>): its stored <c>LastSeenUtc</c> moves
    /// forward to it, if the client's row is live; a restart restores it (<see cref="ClusterState.RestoreSeen"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(ClientSeen change) => Write(change);

    /// <summary>Queues the deletion of a removed client's mirror row.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(ClientRemoved change) => Write(change);

    /// <summary>Queues a retry tag this node keeps as a claim holder; it replaces the client's stored one.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(RetryTagRecord change) => Write(change);

    /// <summary>Queues the deletion of a client's stored retry tag.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(RetryTagForgotten change) => Write(change);

    /// <summary>
    /// Completes when every change queued before this call is committed to disk. After stop it
    /// waits for the final drain instead.
    /// </summary>
    /// <exception cref="InvalidOperationException">The writer was never started.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first (the flush still happens).</exception>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _started) == 0)
        {
            throw new InvalidOperationException("The persistence writer has not been started.");
        }

        // A token cancelled before the call is a cancelled flush, whatever the committer does next: it may complete the
        // marker before the wait below looks at the token (changes are merged on the caller's thread, no queue hop).
        cancellationToken.ThrowIfCancellationRequested();
        var request = new FlushRequest();
        try
        {
            Collect(request);
        }
        catch (InvalidOperationException)
        {
            await _stopped.Task.WaitAsync(cancellationToken);
            return;
        }

        await request.Task.WaitAsync(cancellationToken);
    }

    /// <summary>True once <see cref="StopAsync"/> closed the queue: further changes are refused.</summary>
    public bool IsStopped => Volatile.Read(ref _disposed) != 0 || IsClosed;

    /// <summary>Opens the database (migrations, WAL) and starts the writer thread.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _database.EnsureReadyAsync(cancellationToken);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _commitWatch = _time.CreateTimer(_ => OnCommitOverdue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            new Thread(CommitAll) { IsBackground = true, Name = "node-db-writer" }.Start();
        }
    }

    /// <summary>Closes the queue and waits until everything queued is written; if <paramref name="cancellationToken"/> fires first, unwritten changes are abandoned (and logged).</summary>
    public Task StopAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _disposed) != 0 ? Task.CompletedTask : StopCoreAsync(cancellationToken); // the host may stop it after disposal

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        CloseCollecting();

        if (Volatile.Read(ref _started) == 0)
        {
            return;
        }

        using var abort = cancellationToken.Register(_abort.Cancel);
        await _stopped.Task;
    }

    /// <summary>Stops as <see cref="StopAsync"/> does, without a time limit.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopCoreAsync(CancellationToken.None);
        _commitWatch?.Dispose();
        _abort.Dispose();
    }

    private void Write(object change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Collect(change);
    }

    /// <summary>
    /// Merges one change (or a flush marker) into the pending batch under the batch lock, on the caller's thread: no queue,
    /// no thread hand-off per change. The committer is woken only when its wait changes: work appeared, a flush came, the
    /// batch became full. Throws <see cref="InvalidOperationException"/> once the writer stops.
    /// </summary>
    private void Collect(object item)
    {
        lock (_pendingGate)
        {
            if (_closed)
            {
                throw new InvalidOperationException("The persistence writer has stopped; the change was not accepted.");
            }

            var wasIdle = !_pending.HasWork;
            if (wasIdle)
            {
                _firstPendingAt = _time.GetTimestamp();
            }

            if (_pending.Add(item) | wasIdle || _pending.Received == _options.MaxBatchSize)
            {
                Monitor.PulseAll(_pendingGate);
            }

            if (_pending.Received > _options.QueueCapacity && !_backlogReported)
            {
                _backlogReported = true;
                PersistenceLog.QueueFull(_logger, _options.QueueCapacity);
            }
        }
    }

    /// <summary>Closes the writer: later changes are refused, and the committer writes what is pending and ends.</summary>
    private void CloseCollecting()
    {
        lock (_pendingGate)
        {
            _closed = true;
            Monitor.PulseAll(_pendingGate);
        }
    }

    private bool IsClosed
    {
        get
        {
            lock (_pendingGate)
            {
                return _closed;
            }
        }
    }

    /// <summary>The committer thread: writes pending batches one after the other until the writer is closed and nothing is pending.</summary>
    private void CommitAll()
    {
        try
        {
            while (TakePending() is { } batch)
            {
                WriteUntilDone(batch);
                batch.Clear();
                lock (_pendingGate)
                {
                    _spare = batch;
                    (_inFlightSince, _inFlightStored) = (0, null);
                }
            }

            PersistenceLog.Drained(_logger);
        }
        finally
        {
            EndSession();
            _stopped.TrySetResult();
        }
    }

    /// <summary>Closes the committer's connection (after a failure: the retry opens a new one; at the end of the writer).</summary>
    private void EndSession()
    {
        try
        {
            _session?.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Closing a connection that already failed may fail too, in any way the provider likes; the failure itself is
            // logged by the caller, and an exception here must not end the committer thread.
            PersistenceLog.SessionCloseFailed(_logger, e);
        }

        _session = null;
    }

    /// <summary>Waits until the pending batch is due and swaps it for the empty spare; null when the writer is closed and nothing is pending.</summary>
    private WriteBatch? TakePending()
    {
        lock (_pendingGate)
        {
            while (true)
            {
                if (_pending.HasWork)
                {
                    var remaining = _options.MaxDelay - _time.GetElapsedTime(_firstPendingAt);

                    // An answer waiting for its commit makes the batch due at once: no added delay. The answers that arrive
                    // while one commit runs gather in the next batch (group commit without a timer: under a closed-loop
                    // load such as wrk's any delay before a commit lowers the rate by as much as it saves CPU).
                    if (_closed || remaining <= TimeSpan.Zero || _pending.Flushes.Count > 0 || _pending.Stored is not null
                        || _pending.Received >= _options.MaxBatchSize)
                    {
                        var batch = _pending;
                        (_pending, _spare) = (_spare, null!);
                        (_inFlightSince, _inFlightStored, _inFlightChanges) = (_time.GetTimestamp(), batch.Stored, batch.Received);
                        if (!_watchArmed && _commitWatch is not null)
                        {
                            // Armed once, not per batch: when it fires it looks at the commit running then (OnCommitOverdue).
                            _watchArmed = true;
                            _commitWatch.Change(_options.CommitWait, Timeout.InfiniteTimeSpan);
                        }

                        return batch;
                    }

                    // Whole milliseconds, rounded up: a wait of 0 would return at once and spin until the batch is due.
                    Monitor.Wait(_pendingGate, (int)Math.Ceiling(remaining.TotalMilliseconds));
                }
                else if (_closed)
                {
                    return null;
                }
                else
                {
                    Monitor.Wait(_pendingGate);
                }
            }
        }
    }

    private void WriteUntilDone(WriteBatch batch)
    {
        var retryDelay = FirstRetryDelay;
        while (true)
        {
            if (DroppedAsRelinquished(batch))
            {
                return;
            }

            Exception error;
            try
            {
                _abort.Token.ThrowIfCancellationRequested();
                if (batch.HasData)
                {
                    var started = _time.GetTimestamp();
                    _session ??= new BatchSql.WriterSession(_factory.CreateDbContext());
                    var rows = BatchSql.Write(_session, batch, _time.GetUtcNow());
                    var elapsedMs = _time.GetElapsedTime(started).TotalMilliseconds;
                    PersistenceLog.BatchWritten(_logger, batch.Received, rows, elapsedMs);
                }

                MarkAvailable(batch.Received);
                lock (_pendingGate)
                {
                    _backlogReported = false;
                }

                batch.CompleteFlushes();
                batch.CompleteStored(committed: true);
                return;
            }
            catch (Exception e) when (!_abort.IsCancellationRequested)
            {
                error = e;
                EndSession();
            }
            catch (Exception e)
            {
                EndSession();
                PersistenceLog.BatchAbandoned(_logger, e, batch.Received);
                batch.FailFlushes(e);
                batch.CompleteStored(committed: false);
                return;
            }

            MarkUnavailable(error, batch.Received, retryDelay);
            ReleaseWaiters(batch); // they answer from memory, as every write does during an outage
            _abort.Token.WaitHandle.WaitOne(retryDelay); // meanwhile callers keep merging changes into the next batch
            retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }
}
