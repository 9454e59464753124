using ClusterEngine.Mirroring;
using ClusterEngine.Mirroring.Sync;
using ClusterEngine.Persistence;
using ClusterPortal.Jobs;
using ClusterPortal.Metrics;
using ClusterPortal.Tests.Support;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterPortal.Tests.Jobs;

/// <summary>
/// Hangfire in the node (docs/architecture.md §8, issue 5): each in-process node runs its own jobs against its own storage and
/// services (Hangfire's statics are not used), many sync jobs enqueued at once never run one client's sync twice at a
/// time, queued and scheduled jobs survive a restart, and the periodic job runs once per period, without a burst after
/// a restart.
/// </summary>
public abstract class HangfireJobsTests : IAsyncLifetime
{
    private readonly string _run = Guid.NewGuid().ToString("N");
    private NodeStoreSettings? _store;

    protected abstract PersistenceProvider Provider { get; }

    private NodeStoreSettings Store => _store!;

    public async Task InitializeAsync() => _store = await NodeStoreSettings.CreateAsync(Provider);

    public async Task DisposeAsync() => await Store.DisposeAsync();

    [Fact]
    public async Task Jobs_of_several_in_process_nodes_run_on_their_own_node_against_their_own_storage()
    {
        await using var cluster = new InProcessCluster();
        cluster.Add(100, Store.Settings()); // on PostgreSQL both nodes share one database, each in its own schema
        cluster.Add(100, Store.Settings());
        await cluster.WaitAllUpAsync();
        var enqueued = new List<(int Node, string JobId, string Label)>();
        for (var round = 0; round < 10; round++)
        {
            for (var i = 0; i < 2; i++)
            {
                var node = cluster[i];
                var label = $"{node.NodeId}/{round}";
                enqueued.Add((i, node.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<NodeProbeJob>(j => j.Run(_run, label)), label));
            }
        }

        await Eventually.True(() => NodeProbeJob.Runs(_run).Count >= 20, "20 probe jobs ran", 30_000);

        Assert.All(NodeProbeJob.Runs(_run), r => Assert.StartsWith(r.RanOn + "/", r.Label, StringComparison.Ordinal));
        Assert.Equal(20, NodeProbeJob.Runs(_run).Select(r => r.Label).Distinct().Count());
        foreach (var (node, jobId, label) in enqueued)
        {
            // Each node's storage holds its own jobs (ids are per storage, so the same id may name another job elsewhere).
            Assert.Equal(label, Monitoring(cluster[node]).JobDetails(jobId)?.Job?.Args[1]);
            Assert.NotEqual(label, Monitoring(cluster[1 - node]).JobDetails(jobId)?.Job?.Args[1]);
        }
    }

    [Fact]
    public async Task Many_sync_jobs_enqueued_at_once_never_run_one_clients_sync_twice_at_a_time_and_leave_alternates_in_step()
    {
        await using var cluster = new InProcessCluster();
        // A long failure timeout: a starved test machine must not fail a node over in the middle (not what this tests).
        var settings = Store.Settings(new() { ["Mirror:SyncPolicy"] = "OnLogoff", ["Cluster:FailureTimeout"] = "00:00:05" });
        cluster.Add(100, settings);
        cluster.Add(100, settings);
        await cluster.WaitAllUpAsync();
        var clients = Enumerable.Range(0, 6).Select(i => $"dup-{i}").ToList();
        foreach (var id in clients)
        {
            await cluster.Announce(0, id);
        }

        await cluster.WaitConvergedAsync();
        await Eventually.True(() => clients.All(id => cluster.StateOf(0).GetAssignment(id)?.Alternate is not null), "alternates chosen");
        var jobIds = new List<(int Node, string JobId)>();
        for (var i = 0; i < 2; i++)
        {
            var node = cluster[i];
            var mine = clients.Where(id => cluster.StateOf(i).GetAssignment(id)!.Primary == node.NodeId).ToArray();
            var store = node.Services.GetRequiredService<MirrorStore>();
            foreach (var id in mine)
            {
                ulong? seq = null;
                for (var k = 0; k < 30; k++)
                {
                    seq = store.Record(id, $"items/{k}", (ulong)k + 1, 100, seq);
                }
            }

            var jobs = node.Services.GetRequiredService<IBackgroundJobClient>();
            jobIds.AddRange(Enumerable.Range(0, 25).AsParallel()
                .Select(j => (i, jobs.Enqueue<MirrorSyncJob>(job => job.SyncClientsAsync(j % 2 == 0 ? mine : mine.Reverse().ToArray(), CancellationToken.None)))));
        }

        await Eventually.True(() => jobIds.All(j => State(cluster[j.Node], j.JobId) == "Succeeded"), "every sync job succeeded", 60_000,
            () => string.Join(", ", jobIds.Select(j => State(cluster[j.Node], j.JobId)).GroupBy(s => s).Select(g => $"{g.Key}: {g.Count()}")));

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(1, cluster[i].Services.GetRequiredService<MirrorSynchronizer>().MaxConcurrentPerClient);
        }

        var assigned = string.Join("; ", clients.Select(id => $"{id}: {cluster.StateOf(0).GetAssignment(id)}"))
            + " | " + string.Join(", ", cluster.StateOf(0).Nodes.Select(n => $"{n.NodeId}={n.State}"));
        foreach (var id in clients)
        {
            var a = cluster.StateOf(0).GetAssignment(id)!;
            Assert.True(a.Alternate is not null, assigned);
            var primary = cluster.Nodes.Single(n => n.NodeId == a.Primary).Services.GetRequiredService<MirrorStore>().Mirror;
            var alternate = cluster.Nodes.Single(n => n.NodeId == a.Alternate).Services.GetRequiredService<MirrorStore>().Mirror;
            Assert.Equal(primary.CurrentSequence(id), alternate.CurrentSequence(id));
            Assert.Equal(30, alternate.Entries(id).Count);
        }
    }

    [Fact]
    public async Task Queued_and_scheduled_jobs_survive_a_restart_and_run_once()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("portal-jobs-").FullName;
        var settings = Store.Settings(new() { ["Mirror:SyncPolicy"] = "OnLogoff" });
        await using (var first = new PortalFactory(settings, dataDirectory) { KeepData = true })
        {
            await first.LoggedOnClient("restart-device");
            first.Services.GetRequiredService<IBackgroundJobClient>()
                .Schedule<NodeProbeJob>(j => j.Run(_run, "scheduled"), TimeSpan.FromSeconds(3));
        }

        // Queued while the node is down (as if enqueued just before a crash): the node's own durable storage.
        var persistence = new PersistenceOptions { Provider = Provider, ConnectionString = Store.ConnectionString };
        var storage = JobsServiceCollectionExtensions.CreateStorage(NodeDatabaseTarget.For(dataDirectory, "node-1", persistence),
            new ClusterEngine.ClusterOptions { NodeId = "node-1", DataDirectory = dataDirectory });
        try
        {
            var client = new BackgroundJobClient(storage);
            client.Enqueue<NodeProbeJob>(j => j.Run(_run, "queued"));
            client.Enqueue<MirrorSyncJob>(j => j.SyncClientsAsync(new[] { "restart-device" }, CancellationToken.None));
        }
        finally
        {
            (storage as IDisposable)?.Dispose();
        }

        await using var second = new PortalFactory(settings, dataDirectory);
        _ = second.BaseUrl;
        await Eventually.True(() => NodeProbeJob.Runs(_run).Count >= 2, "the queued and the scheduled job ran after the restart", 30_000);
        await Eventually.True(() => Monitoring(second).SucceededListCount() >= 3, "the sync job succeeded too", 30_000);

        Assert.Equal(["queued", "scheduled"], NodeProbeJob.Runs(_run).Select(r => r.Label).Order(StringComparer.Ordinal));
        Assert.All(NodeProbeJob.Runs(_run), r => Assert.Equal("node-1", r.RanOn));
    }

    [Theory]
    [InlineData("00:00:02")] // a recurring job with a six-field cron
    [InlineData("00:00:01.500")] // not expressible in cron: the self-rescheduling chain
    public async Task Periodic_sync_runs_once_per_period_and_not_in_a_burst_after_a_restart(string interval)
    {
        var period = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture);
        var dataDirectory = Directory.CreateTempSubdirectory("portal-periodic-").FullName;
        var settings = Store.Settings(new() { ["Mirror:SyncPolicy"] = "Periodic", ["Mirror:SyncInterval"] = interval });
        // Upper bounds prove "at most once per period, no burst" (a loaded machine only makes runs later, never more);
        // the lower bounds wait as long as they need to (Hangfire polls every second, so a run can come ~2 s late).
        long before;
        await using (var first = new PortalFactory(settings, dataDirectory) { KeepData = true })
        {
            var started = System.Diagnostics.Stopwatch.StartNew(); // from before the host starts: its first run may come while it starts
            _ = first.BaseUrl;
            var runs = first.Services.GetRequiredService<PortalInstruments>();
            await Eventually.True(() => runs.SyncTotals.PeriodicRuns >= 2, "two periodic runs", 30_000);
            before = runs.SyncTotals.PeriodicRuns;
            // The start's own run, plus at most one per period begun since: the cron's occurrences are aligned to the clock,
            // not to the start, so one can fall a moment after the start's run (2 runs 1.1 s after the start, once in CI).
            Assert.InRange(before, 2, (long)(started.Elapsed / period) + 2);
        }

        await Task.Delay(period * 4); // four periods missed while stopped
        var restarted = System.Diagnostics.Stopwatch.StartNew(); // from before the host starts: a run may come while it starts
        await using var second = new PortalFactory(settings, dataDirectory);
        _ = second.BaseUrl;
        var metrics = second.Services.GetRequiredService<PortalInstruments>();

        // No burst of the four missed runs, and not faster than once per period: when the third run is seen, at most one
        // run per period elapsed since before the start (plus the start's own) has happened. A burst would reach three
        // runs within the first period. A loaded machine only makes runs later, which loosens the bound, never tightens it.
        await Eventually.True(() => metrics.SyncTotals.PeriodicRuns >= 3, "back to running every period", 30_000);
        Assert.InRange(metrics.SyncTotals.PeriodicRuns, 3, (long)(restarted.Elapsed / period) + 2);
    }

    private static IMonitoringApi Monitoring(PortalFactory node) => node.Services.GetRequiredService<JobStorage>().GetMonitoringApi();

    private static string? State(PortalFactory node, string jobId) => Monitoring(node).JobDetails(jobId)?.History.FirstOrDefault()?.StateName;
}

/// <summary><see cref="HangfireJobsTests"/> with SQLite job storage in each node's data directory.</summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class HangfireJobsTestsSqlite : HangfireJobsTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="HangfireJobsTests"/> with Hangfire.PostgreSql: the nodes share one database on a real server, each in its own schema.</summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class HangfireJobsTestsPostgreSql : HangfireJobsTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}

/// <summary>A graceful leave (SIGTERM) syncs the mirrors that are behind before the alternates take over (docs/architecture.md §7).</summary>
public sealed class GracefulLeaveSyncTests
{
    [Fact]
    public async Task A_leaving_primary_syncs_its_clients_mirrors_to_their_alternates_before_handing_them_over()
    {
        await using var cluster = new InProcessCluster();
        var settings = new Dictionary<string, string?> { ["Mirror:SyncPolicy"] = "OnLogoff", ["Cluster:FailureTimeout"] = "00:00:05" };
        cluster.Add(100, settings);
        cluster.Add(100, settings);
        await cluster.WaitAllUpAsync();
        await cluster.Announce(0, "leaving-device");
        await Eventually.True(() => cluster.StateOf(0).GetAssignment("leaving-device")?.Alternate is not null, "alternate chosen");
        var a = cluster.StateOf(0).GetAssignment("leaving-device")!;
        var leaving = cluster.Nodes.Single(n => n.NodeId == a.Primary);
        var staying = cluster.Nodes.Single(n => n.NodeId == a.Alternate);
        var store = leaving.Services.GetRequiredService<MirrorStore>();
        ulong? seq = null;
        for (var k = 0; k < 20; k++)
        {
            seq = store.Record("leaving-device", $"items/{k}", (ulong)k + 1, 100, seq);
        }

        Assert.Equal(0ul, staying.Services.GetRequiredService<MirrorStore>().Mirror.CurrentSequence("leaving-device")); // OnLogoff: nothing synced yet
        Assert.Contains(leaving.Services.GetServices<ClusterEngine.Membership.IHandOverPreparation>(), p => p is ClusterEngine.Mirroring.Sync.MirrorSyncHandOver);
        var behind = leaving.Services.GetRequiredService<MirrorSynchronizer>().ClientsBehind();
        Assert.Equal(["leaving-device"], behind);
        await leaving.DisposeAsync();

        var mirror = staying.Services.GetRequiredService<MirrorStore>().Mirror;
        Assert.Equal(seq, mirror.CurrentSequence("leaving-device"));
        Assert.Equal(20, mirror.Entries("leaving-device").Count);
        Assert.Equal(staying.NodeId, staying.Services.GetRequiredService<ClusterEngine.ClusterState>().GetAssignment("leaving-device")?.Primary);
    }
}
