using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using System.Collections.Concurrent;
using ClusterEngine.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>
/// The node's single database writer (docs/architecture.md §8–9). The hot path hands changes to
/// <c>Enqueue</c>, which returns at once. Two dedicated threads do the rest: the <em>collector</em> takes
/// changes from a bounded queue and coalesces them into the pending batch by key (newest version per client
/// for assignments, last write per node, client and (client, key) for the rest); the <em>committer</em> takes
/// the pending batch and writes it in one transaction, at most <see cref="PersistenceOptions.MaxDelay"/>
/// (default 100 ms) after its first change arrived, or sooner when
/// <see cref="PersistenceOptions.MaxBatchSize"/> changes are waiting or <see cref="FlushAsync"/> is called.
/// </summary>
/// <remarks>
/// <para>Queue policy: nothing is ever dropped. <c>Enqueue</c> is a non-blocking add to a queue of
/// <see cref="PersistenceOptions.QueueCapacity"/> changes; only when that many are waiting does the caller block,
/// and then only until the collector, which never waits on the database, has moved them into the pending batch.
/// The split matters on PostgreSQL: Npgsql's synchronous socket reads on Linux are completed through the thread
/// pool, so callers blocked on a full queue (thread-pool threads) starved the very reads that would have made room
/// (measured: 20,000 changes from 50 tasks took 36 s instead of under 1 s).</para>
/// <para>While a commit runs, and while a failed one waits to be retried, the pending batch keeps growing; since
/// it holds only the last write per key it is bounded by the node's own state, and the next transaction simply
/// carries more than <see cref="PersistenceOptions.MaxBatchSize"/> changes.</para>
/// <para>A failed commit marks the database unavailable (<see cref="IsAvailable"/>) and is retried with back-off
/// (0.1 s doubling to 5 s) until it succeeds or the host's stop timeout ends it; then the batch (and whatever is
/// pending behind it) is logged as lost and pending flushes fault. Callers never block on a database that is away
/// and nothing is lost while the process lives; the first successful commit marks the database available again
/// and the pending batch follows at once. On host stop the queue is closed, drained and written before
/// <see cref="StopAsync"/> returns; <c>Enqueue</c> after stop throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public sealed class PersistenceWriter : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly BlockingCollection<object> _queue;
    private readonly IDbContextFactory<NodeDbContext> _factory;
    private readonly NodeDatabase _database;
    private readonly PersistenceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _pendingGate = new(); // a Monitor (Wait/Pulse); guards _pending, _spare, _firstPendingAt and _collected
    private WriteBatch _pending = new();
    private WriteBatch _spare = new();
    private long _firstPendingAt;
    private bool _collected;
    private int _started;
    private int _fullReported;
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
        _queue = new BlockingCollection<object>(new ConcurrentQueue<object>(), options.QueueCapacity);
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

    /// <summary>Queues the deletion of a removed client's mirror row.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(ClientRemoved change) => Write(change);

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

        var request = new FlushRequest();
        try
        {
            if (!_queue.TryAdd(request))
            {
                await Task.Run(() => _queue.Add(request, cancellationToken), cancellationToken);
            }
        }
        catch (InvalidOperationException)
        {
            await _stopped.Task.WaitAsync(cancellationToken);
            return;
        }

        await request.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// False while the database is unavailable: the last write failed and is being retried. Requests whose changes must
    /// persist are refused meanwhile (503 with <see cref="RetryAfter"/>); everything else goes on from memory and the
    /// writer holds its changes until the database is back.
    /// </summary>
    public bool IsAvailable => Volatile.Read(ref _unavailableSince) == 0;

    /// <summary>While <see cref="IsAvailable"/> is false: when the writer tries again, rounded up to whole seconds (at least 1 s).</summary>
    public TimeSpan RetryAfter => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(TimeSpan.FromTicks(Volatile.Read(ref _retryDelayTicks)).TotalSeconds)));

    /// <summary>True once <see cref="StopAsync"/> closed the queue: further changes are refused.</summary>
    public bool IsStopped => Volatile.Read(ref _disposed) != 0 || _queue.IsAddingCompleted;

    /// <summary>Opens the database (migrations, WAL) and starts the writer thread.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _database.EnsureReadyAsync(cancellationToken);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            new Thread(CollectAll) { IsBackground = true, Name = "node-db-collector" }.Start();
            new Thread(CommitAll) { IsBackground = true, Name = "node-db-writer" }.Start();
        }
    }

    /// <summary>Closes the queue and waits until everything queued is written; if <paramref name="cancellationToken"/> fires first, unwritten changes are abandoned (and logged).</summary>
    public Task StopAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _disposed) != 0 ? Task.CompletedTask : StopCoreAsync(cancellationToken); // the host may stop it after disposal

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        _queue.CompleteAdding();

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
        _abort.Dispose();
        _queue.Dispose();
    }

    private void Write(object change)
    {
        ArgumentNullException.ThrowIfNull(change);
        try
        {
            if (_queue.TryAdd(change))
            {
                return;
            }

            if (Interlocked.Exchange(ref _fullReported, 1) == 0)
            {
                PersistenceLog.QueueFull(_logger, _options.QueueCapacity);
            }

            // Back-pressure: the writer takes a whole batch per commit, so room comes within about one commit.
            _queue.Add(change);
        }
        catch (InvalidOperationException e) // also ObjectDisposedException
        {
            throw new InvalidOperationException("The persistence writer has stopped; the change was not accepted.", e);
        }
    }

    /// <summary>The collector thread: moves every queued change into the pending batch until the queue is closed and empty.</summary>
    private void CollectAll()
    {
        try
        {
            foreach (var item in _queue.GetConsumingEnumerable())
            {
                lock (_pendingGate)
                {
                    var wasIdle = !HasWork(_pending);
                    if (wasIdle)
                    {
                        _firstPendingAt = _time.GetTimestamp();
                    }

                    // Wake the committer only when its wait changes: work appeared, a flush came, the batch became full.
                    if (_pending.Add(item) | wasIdle || _pending.Received == _options.MaxBatchSize)
                    {
                        Monitor.PulseAll(_pendingGate);
                    }
                }
            }
        }
        finally
        {
            lock (_pendingGate)
            {
                _collected = true;
                Monitor.PulseAll(_pendingGate);
            }
        }
    }

    /// <summary>The committer thread: writes pending batches one after the other until the collector is done and nothing is pending.</summary>
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
                }
            }

            PersistenceLog.Drained(_logger);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Waits until the pending batch is due and swaps it for the empty spare; null when the collector is done and nothing is pending.</summary>
    private WriteBatch? TakePending()
    {
        lock (_pendingGate)
        {
            while (true)
            {
                if (HasWork(_pending))
                {
                    var remaining = _options.MaxDelay - _time.GetElapsedTime(_firstPendingAt);
                    if (_collected || remaining <= TimeSpan.Zero || _pending.Flushes.Count > 0 || _pending.Received >= _options.MaxBatchSize)
                    {
                        var batch = _pending;
                        (_pending, _spare) = (_spare, null!);
                        return batch;
                    }

                    Monitor.Wait(_pendingGate, remaining);
                }
                else if (_collected)
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

    private static bool HasWork(WriteBatch batch) => batch.HasData || batch.Flushes.Count > 0;

    private void WriteUntilDone(WriteBatch batch)
    {
        var retryDelay = FirstRetryDelay;
        while (true)
        {
            Exception error;
            try
            {
                _abort.Token.ThrowIfCancellationRequested();
                if (batch.HasData)
                {
                    var started = _time.GetTimestamp();
                    using var db = _factory.CreateDbContext();
                    var rows = BatchSql.Write(db, batch, _time.GetUtcNow());
                    var elapsedMs = _time.GetElapsedTime(started).TotalMilliseconds;
                    PersistenceLog.BatchWritten(_logger, batch.Received, rows, elapsedMs);
                }

                MarkAvailable(batch.Received);
                Volatile.Write(ref _fullReported, 0);
                batch.CompleteFlushes();
                return;
            }
            catch (Exception e) when (!_abort.IsCancellationRequested)
            {
                error = e;
            }
            catch (Exception e)
            {
                PersistenceLog.BatchAbandoned(_logger, e, batch.Received);
                batch.FailFlushes(e);
                return;
            }

            MarkUnavailable(error, batch.Received, retryDelay);
            _abort.Token.WaitHandle.WaitOne(retryDelay); // meanwhile the collector keeps taking changes into the next batch
            retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private void MarkUnavailable(Exception error, int changes, TimeSpan retryDelay)
    {
        Volatile.Write(ref _retryDelayTicks, retryDelay.Ticks);
        if (Interlocked.CompareExchange(ref _unavailableSince, _time.GetTimestamp(), 0) == 0)
        {
            PersistenceLog.DatabaseUnavailable(_logger, error, changes, retryDelay.TotalMilliseconds);
        }
        else
        {
            PersistenceLog.WriteFailed(_logger, error, changes, retryDelay.TotalMilliseconds);
        }

        try
        {
            _database.ResetConnections();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            PersistenceLog.WriteFailed(_logger, e, changes, retryDelay.TotalMilliseconds);
        }
    }

    private void MarkAvailable(int changes)
    {
        var since = Interlocked.Exchange(ref _unavailableSince, 0);
        if (since != 0)
        {
            var outageMs = _time.GetElapsedTime(since).TotalMilliseconds;
            PersistenceLog.DatabaseRestored(_logger, outageMs, changes);
        }
    }
}
