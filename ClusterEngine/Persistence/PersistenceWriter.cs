using ClusterEngine.Membership;
using System.Collections.Concurrent;
using ClusterEngine.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>
/// The node's single database writer (DESIGN.md §8–9). The hot path hands changes to
/// <c>Enqueue</c>, which returns at once; one dedicated writer thread takes them from a bounded
/// queue, coalesces them by key (newest version per client for assignments, last write per node,
/// client and (client, key) for the rest) and commits each batch in one transaction, at most
/// <see cref="PersistenceOptions.MaxDelay"/> (default 100 ms) after its first change arrived, or
/// sooner when <see cref="PersistenceOptions.MaxBatchSize"/> changes are waiting or
/// <see cref="FlushAsync"/> is called.
/// </summary>
/// <remarks>
/// <para>Queue policy: nothing is ever dropped. <c>Enqueue</c> is a non-blocking add to a queue of
/// <see cref="PersistenceOptions.QueueCapacity"/> changes; only when that many are already waiting
/// (the disk is that far behind) does the caller block until the writer takes the next batch, i.e.
/// for at most about one commit. The writer runs on its own thread with synchronous SQLite calls, so
/// it keeps draining even when blocked callers starve the thread pool (a thread-pool loop over a
/// <c>Channel</c> was measured to stall for tens of seconds in exactly that case).</para>
/// <para>A failed commit is retried with back-off (0.1 s doubling to 5 s) until it succeeds or the
/// host's stop timeout ends it; then the batch is logged as lost and pending flushes fault. On host
/// stop the queue is closed, drained and written before <see cref="StopAsync"/> returns;
/// <c>Enqueue</c> after stop throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public sealed class PersistenceWriter : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly BlockingCollection<object> _queue;
    private readonly IDbContextFactory<NodeDbContext> _factory;
    private readonly NodeDatabase _database;
    private readonly PersistenceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    private int _fullReported;
    private int _disposed;

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

    /// <summary>Queues a mirror entry upsert.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(MirrorEntryRecord change) => Write(change);

    /// <summary>Queues a mirror entry deletion.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(MirrorEntryRemoved change) => Write(change);

    /// <summary>Queues a mirror sequence / checkpoint upsert.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(MirrorClientRecord change) => Write(change);

    /// <summary>Queues the deletion of all of a client's mirror entries.</summary>
    /// <exception cref="InvalidOperationException">The writer has stopped.</exception>
    public void Enqueue(MirrorCleared change) => Write(change);

    /// <summary>Queues the deletion of a removed client's mirror rows.</summary>
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

    /// <summary>True once <see cref="StopAsync"/> closed the queue: further changes are refused.</summary>
    public bool IsStopped => Volatile.Read(ref _disposed) != 0 || _queue.IsAddingCompleted;

    /// <summary>Opens the database (migrations, WAL) and starts the writer thread.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _database.EnsureReadyAsync(cancellationToken);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            new Thread(Run) { IsBackground = true, Name = "node-db-writer" }.Start();
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

    private void Run()
    {
        try
        {
            var batch = new WriteBatch();
            while (Collect(batch))
            {
                WriteWithRetry(batch);
                batch.Clear();
            }

            PersistenceLog.Drained(_logger);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Fills <paramref name="batch"/>; false when the queue is closed and empty.</summary>
    private bool Collect(WriteBatch batch)
    {
        if (!_queue.TryTake(out var first, Timeout.Infinite))
        {
            return false;
        }

        var started = _time.GetTimestamp();
        var item = first;
        while (true)
        {
            if (batch.Add(item) || batch.Received >= _options.MaxBatchSize)
            {
                return true;
            }

            if (_queue.TryTake(out item!))
            {
                continue;
            }

            var remaining = _options.MaxDelay - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero || !_queue.TryTake(out item!, remaining))
            {
                return true;
            }
        }
    }

    private void WriteWithRetry(WriteBatch batch)
    {
        var retryDelay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
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

                Volatile.Write(ref _fullReported, 0);
                batch.CompleteFlushes();
                return;
            }
            catch (Exception e) when (!_abort.IsCancellationRequested)
            {
                PersistenceLog.WriteFailed(_logger, e, batch.Received, retryDelay.TotalMilliseconds);
                _abort.Token.WaitHandle.WaitOne(retryDelay);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
            catch (Exception e)
            {
                PersistenceLog.BatchAbandoned(_logger, e, batch.Received);
                batch.FailFlushes(e);
                return;
            }
        }
    }
}
