using System.Diagnostics;
using ClusterPortal.Hosting;
using ClusterPortal.Jobs;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterPortal.Tests.Jobs;

/// <summary>
/// The node waits for Hangfire's server to stop at most <see cref="JobsServiceCollectionExtensions.StopBudget"/>
/// (docs/recovery.md, "How long a stop takes"): Hangfire's own stop has no bound, and one that overran the host's shutdown
/// timeout failed the stop (a CI run with four in-process nodes stopping at once).
/// </summary>
public sealed class BoundedJobServerStopTests
{
    [Fact]
    public async Task A_stop_that_never_ends_is_given_up_after_the_budget_with_a_warning()
    {
        var time = new FakeTimeProvider();
        var capture = new CapturingLoggerProvider();
        using var logs = LoggerFactory.Create(b => b.AddProvider(capture));
        var server = new Server(new TaskCompletionSource().Task);
        using var bounded = new BoundedJobServerStop(server, TimeSpan.FromSeconds(5), time, logs.CreateLogger<BoundedJobServerStop>());

        var stop = bounded.StopAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(stop.IsCompleted, "gave up before the budget");
        time.Advance(TimeSpan.FromSeconds(0.2));
        await stop.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, server.Stops);
        Assert.Contains(capture.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("did not stop within 5 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stop_within_the_budget_is_waited_for_and_the_hosts_cancellation_still_ends_it()
    {
        var time = new FakeTimeProvider();
        var capture = new CapturingLoggerProvider();
        using var logs = LoggerFactory.Create(b => b.AddProvider(capture));
        var finishing = new TaskCompletionSource();
        using var bounded = new BoundedJobServerStop(new Server(finishing.Task), TimeSpan.FromSeconds(5), time, logs.CreateLogger<BoundedJobServerStop>());

        var stop = bounded.StopAsync(CancellationToken.None);
        Assert.False(stop.IsCompleted);
        finishing.SetResult();
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(capture.Entries, e => e.Level >= LogLevel.Warning);

        // The host's own shutdown timeout is the outer bound: its cancellation ends the wait as before.
        using var cancelled = new CancellationTokenSource();
        var hanging = new BoundedJobServerStop(new Server(new TaskCompletionSource().Task), TimeSpan.FromSeconds(5), time, logs.CreateLogger<BoundedJobServerStop>());
        var stopping = hanging.StopAsync(cancelled.Token);
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopping.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_node_whose_hangfire_database_is_locked_stops_within_its_shutdown_timeout()
    {
        var capture = new CapturingLoggerProvider();
        // A short leave budget (3 s: a lone node's leave needs little), so that the host's shutdown timeout is 11 s: Hangfire's
        // unbounded stop against a locked database (about 15 s) overruns it, the bounded one (at most 5 s) does not.
        var node = new PortalFactory(new() { ["Cluster:HandOverTimeout"] = "00:00:00.5", ["Cluster:DrainTimeout"] = "00:00:00.5", ["Cluster:LeaveGrace"] = "00:00:00" })
        {
            Configure = web => web.ConfigureLogging(l => l.AddProvider(capture)),
        };
        _ = node.BaseUrl;
        var timeout = node.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        var leave = node.Services.GetRequiredService<IOptions<ClusterEngine.ClusterOptions>>().Value.LeaveBudget;
        Assert.Equal(leave + JobsServiceCollectionExtensions.StopBudget + PortalServiceCollectionExtensions.ShutdownTail, timeout);
        Assert.Equal(TimeSpan.FromSeconds(11), timeout);
        Assert.Contains(node.Services.GetServices<IHostedService>(), s => s is BoundedJobServerStop);

        // Another process (a backup, a stuck tool) holds hangfire.db's write lock while the node stops: Hangfire's last
        // heartbeat and the removal of its server record wait for it (10 s busy timeout, retried), far past the budget.
        using var holder = new SqliteConnection($"Data Source={Path.Combine(node.DataDirectory, JobsServiceCollectionExtensions.DatabaseFile)};Pooling=False");
        holder.Open();
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        var stopping = Stopwatch.StartNew();
        await node.DisposeAsync(); // throws when the stop outlives the host's shutdown timeout
        stopping.Stop();

        Assert.True(stopping.Elapsed < timeout, $"the stop took {stopping.Elapsed.TotalSeconds:F1} s, the shutdown timeout is {timeout.TotalSeconds} s");
        Assert.Contains(capture.Entries, e => e.Level == LogLevel.Warning && e.Category == typeof(BoundedJobServerStop).FullName);
    }

    private sealed class Server(Task stopped) : IHostedService
    {
        public int Stops { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Stops++;
            return stopped.WaitAsync(cancellationToken);
        }
    }
}
