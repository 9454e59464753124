using ClusterEngine.Changes;
using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Tests.Placement;

/// <summary>
/// <see cref="AssignmentChangeSignal"/>: a request waiting for a client's assignment to arrive (an unknown client asked a
/// moment after its announce at another node) wakes at the next assignment change, never misses one that comes after it
/// took the task, and is not woken by changes of anything else.
/// </summary>
public sealed class AssignmentChangeSignalTests
{
    private static AssignmentsChanged Change(string clientId) =>
        new([new AssignmentDelta(clientId, "node-2", "node-3", new AssignmentVersion(1, "node-2"), 0, AssignmentChangeReason.Assigned)], Local: false);

    [Fact]
    public void A_task_taken_before_a_change_completes_at_it_and_one_taken_after_waits_for_the_next()
    {
        var signal = new AssignmentChangeSignal();
        var before = signal.NextChange();
        Assert.False(before.IsCompleted);

        signal.OnChange(Change("c1"));
        var after = signal.NextChange();

        Assert.True(before.IsCompletedSuccessfully);
        Assert.False(after.IsCompleted);
        signal.OnChange(Change("c2"));
        Assert.True(after.IsCompletedSuccessfully);
    }

    [Fact]
    public void Changes_of_anything_but_the_assignment_table_do_not_complete_it()
    {
        var signal = new AssignmentChangeSignal();
        var task = signal.NextChange();

        signal.OnChange(new AssignmentsChanged([], Local: true));
        signal.OnChange(new NodeStateChanged("node-2", NodeState.Down));
        signal.OnChange(new Reconciled("node-1", "node-2", 0, 0, 0));

        Assert.False(task.IsCompleted);
    }

    [Fact]
    public void Every_waiter_shares_the_next_change()
    {
        var signal = new AssignmentChangeSignal();
        var tasks = Enumerable.Range(0, 5).Select(_ => signal.NextChange()).ToList();

        signal.OnChange(Change("c1"));

        Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task Under_concurrent_changes_no_task_taken_before_a_whole_change_is_left_waiting()
    {
        // One thread publishes changes and counts the finished ones; another takes tasks. A change that began after a task
        // was taken must have completed it: once two more changes have finished after the take (the first of them may have
        // begun before it), the task is complete. The order "read the task, then raise the flag" is what makes this hold.
        var signal = new AssignmentChangeSignal();
        long finished = 0;
        using var stop = new CancellationTokenSource();
        var publisher = Task.Run(() =>
        {
            var change = Change("c");
            while (!stop.IsCancellationRequested)
            {
                signal.OnChange(change);
                Interlocked.Increment(ref finished);
            }
        });

        try
        {
            for (var i = 0; i < 20_000; i++)
            {
                var task = signal.NextChange();
                var seen = Interlocked.Read(ref finished);
                var spin = new SpinWait();
                while (Interlocked.Read(ref finished) < seen + 2)
                {
                    Assert.False(publisher.IsCompleted, "the publisher stopped");
                    spin.SpinOnce();
                }

                Assert.True(task.IsCompleted, $"take {i}: two whole changes finished after the task was taken and it still waits");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await publisher;
        }
    }
}
