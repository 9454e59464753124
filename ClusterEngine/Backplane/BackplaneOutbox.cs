using System.Threading.Channels;
using ClusterEngine.Changes;
using ClusterEngine.Placement;

namespace ClusterEngine.Backplane;

/// <summary>
/// The assignment changes this node decided, on their way to every peer (<c>AssignmentChanged</c>, in batches of up
/// to <see cref="BackplaneMethods.BatchSize"/>): an observer of the change stream that queues the local ones, and the
/// loop that sends them. A peer that misses a batch (not connected) gets it through catch-up (patent Fig. 7).
/// </summary>
/// <param name="mesh">The peer connections.</param>
/// <param name="time">Clock for the drain deadline.</param>
public sealed class BackplaneOutbox(PeerMesh mesh, TimeProvider time) : IClusterChangeObserver
{
    private readonly Channel<AssignmentDelta> _queue = Channel.CreateUnbounded<AssignmentDelta>();

    /// <inheritdoc />
    public void OnChange(ClusterChange change)
    {
        if (change is AssignmentsChanged { Local: true, Deltas: var deltas })
        {
            foreach (var delta in deltas)
            {
                _queue.Writer.TryWrite(delta);
            }
        }
    }

    /// <summary>
    /// Sends queued changes until <paramref name="stoppingToken"/> is cancelled or <see cref="Complete"/> is called
    /// (what is left at a graceful leave is sent before: see <see cref="DrainAsync"/>).
    /// </summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AssignmentDelta>(BackplaneMethods.BatchSize);
        while (await WaitAsync(stoppingToken))
        {
            while (batch.Count < BackplaneMethods.BatchSize && _queue.Reader.TryRead(out var delta))
            {
                batch.Add(delta);
            }

            var message = batch.ToArray();
            batch.Clear();
            await mesh.BroadcastAsync(BackplaneMethods.AssignmentChanged, message, CancellationToken.None);
        }
    }

    /// <summary>No more changes go out (the node stops): ends <see cref="RunAsync"/> once the queue is empty, whatever its token.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Waits (at most <paramref name="timeout"/>) until every queued change has been taken by the send loop.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var started = time.GetTimestamp();
        while (_queue.Reader.Count > 0 && time.GetElapsedTime(started) < timeout)
        {
            await Task.Delay(10);
        }

        await Task.Delay(50); // the send loop's last batch is in flight
    }

    private async Task<bool> WaitAsync(CancellationToken stoppingToken)
    {
        try
        {
            return await _queue.Reader.WaitToReadAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
