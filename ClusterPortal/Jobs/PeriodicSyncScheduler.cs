using System.Globalization;
using ClusterEngine.Mirroring;
using Hangfire;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Jobs;

/// <summary>
/// Sets up the periodic mirror sync at start (<c>Mirror:SyncPolicy=Periodic</c>, every <c>Mirror:SyncInterval</c>;
/// docs/architecture.md §8). An interval cron can express (whole seconds dividing a minute, whole minutes dividing an hour, whole
/// hours dividing a day) is a Hangfire recurring job that skips missed runs, so a restarted node does not run it again
/// in a burst; any other interval is a self-rescheduling chain of delayed jobs (<see cref="MirrorSyncJob.SyncChangedAndRescheduleAsync"/>).
/// With another policy the recurring job is removed.
/// </summary>
internal sealed class PeriodicSyncScheduler(IRecurringJobManager recurring, IBackgroundJobClient jobs, IOptions<MirrorOptions> options,
    TimeProvider time) : IHostedService
{
    /// <summary>Id of the recurring job in this node's storage.</summary>
    public const string RecurringJobId = "mirror-sync-periodic";

    private readonly Lock _gate = new();
    private long _lastSlot = long.MinValue;

    /// <summary>This process's chain id: jobs of a chain scheduled by an earlier process end at once.</summary>
    public string Chain { get; } = Guid.NewGuid().ToString("N");

    private TimeSpan Interval => options.Value.SyncInterval;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.SyncPolicy != MirrorSyncPolicy.Periodic)
        {
            recurring.RemoveIfExists(RecurringJobId);
            return Task.CompletedTask;
        }

        if (CronFor(Interval) is { } cron)
        {
            recurring.AddOrUpdate<MirrorSyncJob>(RecurringJobId, job => job.SyncChangedAsync(CancellationToken.None), cron,
                new RecurringJobOptions { MisfireHandling = MisfireHandlingMode.Ignorable });
        }
        else
        {
            recurring.RemoveIfExists(RecurringJobId);
            ScheduleSlot(SlotOf(time.GetUtcNow()) + 1);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Claims the current period for a run of the recurring (cron) job: false when a run of this period already
    /// happened in this process. Hangfire may fire a recurring job late or several times after a restart or a stall;
    /// this keeps it to once per period.
    /// </summary>
    public bool TryClaimCurrent()
    {
        lock (_gate)
        {
            var slot = SlotOf(time.GetUtcNow());
            if (slot <= _lastSlot)
            {
                return false;
            }

            _lastSlot = slot;
            return true;
        }
    }

    /// <summary>
    /// Claims slot <paramref name="slot"/> of <paramref name="chain"/> for running and schedules the next slot; false
    /// for another process's chain or a slot that already ran (a duplicated or late job).
    /// </summary>
    public bool TryClaim(string chain, long slot)
    {
        lock (_gate)
        {
            if (chain != Chain || slot <= _lastSlot)
            {
                return false;
            }

            // The next run is scheduled before this one works: a failing run does not end the chain. A job that starts
            // late (the node was busy) schedules the slot after now, never a backlog.
            ScheduleSlot(Math.Max(slot, SlotOf(time.GetUtcNow())) + 1);
            _lastSlot = slot;
            return true;
        }
    }

    /// <summary>
    /// A six-field cron for <paramref name="interval"/> when cron can express it as "every interval": whole seconds
    /// dividing 60, whole minutes dividing 60, whole hours dividing 24; otherwise null.
    /// </summary>
    internal static string? CronFor(TimeSpan interval)
    {
        static bool Whole(TimeSpan t, TimeSpan unit) => t.Ticks % unit.Ticks == 0;
        var inv = CultureInfo.InvariantCulture;
        if (Whole(interval, TimeSpan.FromSeconds(1)) && interval < TimeSpan.FromMinutes(1) && 60 % (int)interval.TotalSeconds == 0)
        {
            return string.Create(inv, $"*/{(int)interval.TotalSeconds} * * * * *");
        }

        if (Whole(interval, TimeSpan.FromMinutes(1)) && interval < TimeSpan.FromHours(1) && 60 % (int)interval.TotalMinutes == 0)
        {
            return string.Create(inv, $"0 */{(int)interval.TotalMinutes} * * * *");
        }

        if (Whole(interval, TimeSpan.FromHours(1)) && interval <= TimeSpan.FromDays(1) && 24 % (int)interval.TotalHours == 0)
        {
            return interval == TimeSpan.FromDays(1) ? "0 0 0 * * *" : string.Create(inv, $"0 0 */{(int)interval.TotalHours} * * *");
        }

        return null;
    }

    private long SlotOf(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / (long)Interval.TotalMilliseconds;

    private void ScheduleSlot(long slot)
    {
        var due = DateTimeOffset.FromUnixTimeMilliseconds(slot * (long)Interval.TotalMilliseconds);
        jobs.Schedule<MirrorSyncJob>(job => job.SyncChangedAndRescheduleAsync(Chain, slot, CancellationToken.None), due);
    }
}
