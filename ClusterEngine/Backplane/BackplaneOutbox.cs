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
/// <param name="time">Clock of the drain's deadline.</param>
public sealed class BackplaneOutbox(PeerMesh mesh, TimeProvider time) : IClusterChangeObserver
{
    private readonly Channel<AssignmentDelta> _queue = Channel.CreateUnbounded<AssignmentDelta>();
    private readonly Lock _gate = new();
    private long _unsent; // queued, or taken by the send loop and not yet handed to every peer's connection
    private TaskCompletionSource? _drained;

    /// <inheritdoc />
    public void OnChange(ClusterChange change)
    {
        if (change is AssignmentsChanged { Local: true, Deltas: var deltas } && deltas.Count > 0)
        {
            lock (_gate)
            {
                _unsent += deltas.Count;
            }

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
            try
            {
                await mesh.BroadcastAsync(BackplaneMethods.AssignmentChanged, message, CancellationToken.None);
            }
            finally
            {
                Sent(message.Length);
            }
        }
    }

    /// <summary>No more changes go out (the node stops): ends <see cref="RunAsync"/> once the queue is empty, whatever its token.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>
    /// Waits (at most <paramref name="timeout"/>, on this outbox's clock) until every change queued so far has been handed to
    /// every peer's connection by the send loop — the hand-over of a graceful leave goes out before the node says it left.
    /// Woken by the send loop, not by polling.
    /// </summary>
    /// <returns>True when everything was sent; false when the time ran out first (a peer slow to take a batch).</returns>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        Task drained;
        lock (_gate)
        {
            if (_unsent == 0)
            {
                return true;
            }

            drained = (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        await drained.WaitAsync(timeout, time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return drained.IsCompleted;
    }

    private void Sent(int count)
    {
        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            _unsent -= count;
            if (_unsent == 0)
            {
                (drained, _drained) = (_drained, null);
            }
        }

        drained?.TrySetResult();
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
