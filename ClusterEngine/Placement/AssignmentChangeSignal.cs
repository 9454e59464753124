using ClusterEngine.Changes;

namespace ClusterEngine.Placement;

/// <summary>
/// A task that completes at the next change of this node's assignment table (<see cref="AssignmentsChanged"/> on the
/// change stream: a local decision or a peer's merged delta), so a request waiting for a client's assignment to arrive
/// wakes when it does instead of polling the table on a timer. The usual wait: take <see cref="NextChange"/>, then look
/// at the table, then await the task — a change applied after the look completes the task, one applied before it is in
/// the table (observers run after the change is applied). Every change completes the one task handed out since the
/// previous change; with no task handed out a change costs one interlocked read, with one it costs a new task.
/// Thread-safe.
/// </summary>
public sealed class AssignmentChangeSignal : IClusterChangeObserver
{
    private TaskCompletionSource _next = NewSource();
    private int _handedOut;

    /// <summary>
    /// A task completed by the next assignment change after this call (it never faults or cancels; bound the wait with
    /// <see cref="Task.WaitAsync(TimeSpan, CancellationToken)"/>). Take it before looking at the table, not after.
    /// </summary>
    /// <returns>The task of the next change.</returns>
    public Task NextChange()
    {
        // Read the task first, then raise the flag: a change that runs in between sees the flag down and keeps this task
        // for the change after it; a change after the flag completes this task. (Raising the flag first let a change take
        // the flag down and swap the task in between, and this caller kept a task no change would complete.)
        var next = Volatile.Read(ref _next);
        Interlocked.Exchange(ref _handedOut, 1);
        return next.Task;
    }

    /// <summary>True when a task was handed out since the last change: a request is waiting for an assignment to arrive.</summary>
    public bool Awaited => Volatile.Read(ref _handedOut) == 1;

    /// <inheritdoc />
    public void OnChange(ClusterChange change)
    {
        if (change is AssignmentsChanged { Deltas.Count: > 0 } && Interlocked.Exchange(ref _handedOut, 0) == 1)
        {
            Interlocked.Exchange(ref _next, NewSource()).TrySetResult();
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
