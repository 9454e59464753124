using System.Threading.Channels;
using ClusterEngine.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Persistence;

/// <summary>
/// The node's single database writer (DESIGN.md §8–9). The hot path hands changes to
/// <c>Enqueue</c>, which returns at once; one background loop takes them from a bounded queue,
/// coalesces them by key (see <see cref="PersistenceOptions"/>) and commits each batch in one
/// transaction, at most <see cref="PersistenceOptions.MaxDelay"/> (default 100 ms) after its first
/// change arrived, or sooner when <see cref="PersistenceOptions.MaxBatchSize"/> changes are waiting
/// or <see cref="FlushAsync"/> is called.
/// </summary>
/// <remarks>
/// <para>Queue policy: nothing is ever dropped. <c>Enqueue</c> is a non-blocking <c>TryWrite</c>;
/// only when <see cref="PersistenceOptions.QueueCapacity"/> changes are already waiting (the disk is
/// that far behind) does the caller wait for room, which the writer frees one whole batch at a time,
/// i.e. within one commit. A failed commit is retried with back-off (0.1 s doubling to 5 s) until it
/// succeeds or the host's stop timeout ends it.</para>
/// <para>On host stop the queue is closed, drained and written before <see cref="StopAsync"/> returns.
/// <c>Enqueue</c> after stop throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public sealed class PersistenceWriter : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly Channel<object> _queue;
    private readonly IDbContextFactory<NodeDbContext> _factory;
    private readonly NodeDatabase _database;
    private readonly PersistenceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private Task? _loop;
    private int _fullReported;

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
        _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
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
        var loop = _loop ?? throw new InvalidOperationException("The persistence writer has not been started.");
        var request = new FlushRequest();
        try
        {
            await _queue.Writer.WriteAsync(request, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            await loop.WaitAsync(cancellationToken);
            return;
        }

        await request.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Opens the database (migrations, WAL) and starts the writer loop.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_loop is not null)
        {
            return;
        }

        await _database.EnsureReadyAsync(cancellationToken);
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>Closes the queue and waits until everything queued is written; if <paramref name="cancellationToken"/> fires first, unwritten changes are abandoned (and logged).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is null)
        {
            return;
        }

        using var abort = cancellationToken.Register(_abort.Cancel);
        await _loop;
    }

    /// <summary>Stops as <see cref="StopAsync"/> does, without a time limit.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _abort.Dispose();
    }

    private void Write(object change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (_queue.Writer.TryWrite(change))
        {
            return;
        }

        if (Interlocked.Exchange(ref _fullReported, 1) == 0 && !_queue.Reader.Completion.IsCompleted)
        {
            PersistenceLog.QueueFull(_logger, _options.QueueCapacity);
        }

        try
        {
            // Back-pressure: the queue holds QueueCapacity changes; the writer frees a batch per commit.
            _queue.Writer.WriteAsync(change).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException e)
        {
            throw new InvalidOperationException("The persistence writer has stopped; the change was not accepted.", e);
        }
    }

    private async Task RunAsync()
    {
        var batch = new WriteBatch();
        while (await CollectAsync(batch))
        {
            await WriteAsync(batch);
            batch.Clear();
        }

        PersistenceLog.Drained(_logger);
    }

    /// <summary>Fills <paramref name="batch"/>; false when the queue is closed and empty.</summary>
    private async Task<bool> CollectAsync(WriteBatch batch)
    {
        var reader = _queue.Reader;
        if (!await reader.WaitToReadAsync())
        {
            return false;
        }

        var started = _time.GetTimestamp();
        while (true)
        {
            while (batch.Received < _options.MaxBatchSize && reader.TryRead(out var item))
            {
                if (batch.Add(item))
                {
                    return true;
                }
            }

            var remaining = _options.MaxDelay - _time.GetElapsedTime(started);
            if (batch.Received >= _options.MaxBatchSize || remaining <= TimeSpan.Zero)
            {
                return true;
            }

            using var linger = new CancellationTokenSource(remaining, _time);
            var more = reader.WaitToReadAsync(linger.Token).AsTask();
            await ((Task)more).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!more.IsCompletedSuccessfully || !more.Result)
            {
                return true;
            }
        }
    }

    private async Task WriteAsync(WriteBatch batch)
    {
        var retryDelay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                if (batch.HasData)
                {
                    var started = _time.GetTimestamp();
                    await using var db = await _factory.CreateDbContextAsync(_abort.Token);
                    var rows = await BatchSql.WriteAsync(db, batch, _time.GetUtcNow(), _abort.Token);
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
                await Task.Delay(retryDelay, _time, _abort.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
