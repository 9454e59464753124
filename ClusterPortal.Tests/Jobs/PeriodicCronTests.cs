using ClusterPortal.Jobs;

namespace ClusterPortal.Tests.Jobs;

/// <summary>
/// Which <c>Mirror:SyncInterval</c> values run as a cron recurring job, and which need the self-rescheduling chain; and
/// that the job server polls its schedule every second only when periods are scheduled (each poll writes a lock row).
/// </summary>
public sealed class PeriodicCronTests
{
    [Theory]
    [InlineData("00:00:01", "*/1 * * * * *")]
    [InlineData("00:00:05", "*/5 * * * * *")]
    [InlineData("00:00:30", "*/30 * * * * *")]
    [InlineData("00:15:00", "0 */15 * * * *")]
    [InlineData("06:00:00", "0 0 */6 * * *")]
    [InlineData("1.00:00:00", "0 0 0 * * *")]
    [InlineData("00:00:07", null)]
    [InlineData("00:00:01.500", null)]
    [InlineData("00:00:00.100", null)]
    [InlineData("00:01:30", null)]
    [InlineData("00:07:00", null)]
    [InlineData("05:00:00", null)]
    public void Interval_runs_as_cron_only_when_cron_can_say_every_interval(string interval, string? cron) =>
        Assert.Equal(cron, PeriodicSyncScheduler.CronFor(TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData(ClusterEngine.Mirroring.MirrorSyncPolicy.Periodic, 1)]
    [InlineData(ClusterEngine.Mirroring.MirrorSyncPolicy.EveryNTransactions, 15)]
    [InlineData(ClusterEngine.Mirroring.MirrorSyncPolicy.EachTransaction, 15)]
    [InlineData(ClusterEngine.Mirroring.MirrorSyncPolicy.OnLogoff, 15)]
    public void The_schedule_is_polled_every_second_only_when_the_mirror_syncs_periodically(ClusterEngine.Mirroring.MirrorSyncPolicy policy, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), JobsServiceCollectionExtensions.SchedulePolling(new ClusterEngine.Mirroring.MirrorOptions { SyncPolicy = policy }));
}
