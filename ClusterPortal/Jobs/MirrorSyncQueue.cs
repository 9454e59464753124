using System.Collections.Concurrent;
using System.Threading.Channels;
using Hangfire;

namespace ClusterPortal.Jobs;

/// <summary>
/// Coalesces sync requests into Hangfire jobs (docs/architecture.md §8): at most one pending sync per client, and one job carries
/// every client marked within a short window (up to <see cref="MaxClientsPerJob"/>). Enqueueing is a SQLite write, so
/// it happens here, off the request path; a job takes its clients off the pending set when it starts, so a change
/// during a running sync gets a new job.
/// </summary>
internal sealed partial class MirrorSyncQueue(IBackgroundJobClient jobs, ILogger<MirrorSyncQueue> logger) : BackgroundService
{
    /// <summary>Most clients one job carries.</summary>
    public const int MaxClientsPerJob = 500;

    /// <summary>How long marks are gathered before they become one job.</summary>
    private static readonly TimeSpan s_window = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private readonly Channel<string> _marked = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Clients marked and not yet taken by a running job.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Asks for a sync of <paramref name="clientId"/>; nothing happens when one is already pending.</summary>
    /// <param name="clientId">The client.</param>
    public void Mark(string clientId)
    {
        if (_pending.TryAdd(clientId, 0))
        {
            _marked.Writer.TryWrite(clientId);
        }
    }

    /// <summary>A job started syncing these clients: later changes need a new job.</summary>
    /// <param name="clientIds">The job's clients.</param>
    public void Started(IEnumerable<string> clientIds)
    {
        foreach (var id in clientIds)
        {
            _pending.TryRemove(id, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<string>(MaxClientsPerJob);
        try
        {
            while (await _marked.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(s_window, stoppingToken);
                while (batch.Count < MaxClientsPerJob && _marked.Reader.TryRead(out var id))
                {
                    batch.Add(id);
                }

                Enqueue(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still marked is enqueued below, so it survives the restart.
        }

        while (_marked.Reader.TryRead(out var id))
        {
            batch.Add(id);
            if (batch.Count == MaxClientsPerJob)
            {
                Enqueue(batch);
                batch.Clear();
            }
        }

        Enqueue(batch);
    }

    private void Enqueue(List<string> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var ids = batch.ToArray();
        try
        {
            jobs.Enqueue<MirrorSyncJob>(job => job.SyncClientsAsync(ids, CancellationToken.None));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogEnqueueFailed(ids.Length, ex);
            Started(ids); // not pending any more: the next change marks them again
        }
    }

    [LoggerMessage(EventId = LogEvents.EnqueueFailed, Level = LogLevel.Warning, Message = "Could not enqueue the mirror sync of {Count} client(s)")]
    private partial void LogEnqueueFailed(int count, Exception exception);
}
