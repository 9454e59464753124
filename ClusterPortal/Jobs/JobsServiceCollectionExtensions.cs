using ClusterEngine;
using ClusterEngine.Mirroring;
using ClusterEngine.Mirroring.Sync;
using ClusterEngine.Persistence;
using ClusterPortal.Metrics;
using ClusterPortal.Security;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Jobs;

/// <summary>
/// Hangfire in a node (docs/architecture.md §8, §6): durable storage on the node's own database provider — SQLite in the node's
/// data directory (<c>{Cluster:DataDirectory}/hangfire.db</c>), or with <c>Persistence:Provider=PostgreSql</c> the
/// node's own schema of the PostgreSQL database (Hangfire.PostgreSql with <c>SchemaName</c> = <c>Persistence:Schema</c>,
/// so nodes sharing one database each see only their own job tables and never run another node's jobs) —, queue and
/// schedule polling every second (every 15 s unless the mirror syncs periodically: <see cref="SchedulePolling"/>), the mirror sync jobs, and the dashboard at <c>/hangfire</c> for admins only.
/// </summary>
/// <remarks>
/// Hangfire keeps process-wide statics (<c>JobStorage.Current</c>, the default activator). Nothing here uses them: the
/// node's storage and activator are built per host and registered before <c>AddHangfire</c> (which only adds what is
/// missing), the server and the job clients take them from the host's container, and the dashboard is given the
/// node's storage. So several in-process test nodes each run their own jobs against their own storage and services.
/// </remarks>
internal static class JobsServiceCollectionExtensions
{
    /// <summary>Name of the Hangfire database file in the node's data directory.</summary>
    public const string DatabaseFile = "hangfire.db";

    /// <summary>Queue polling interval, and schedule polling under periodic sync (the SQLite storage polls every 15 s by default).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Schedule polling when no sync runs on a schedule: Hangfire's own default. Each poll of the delayed-job and the
    /// recurring-job schedulers takes and releases a distributed lock, a row inserted and deleted in the job database: at
    /// one poll a second an idle node wrote about 50 KB/s to its <c>hangfire.db</c> write-ahead log (4 GB a day; measured
    /// with an idle node's write-ahead log, README "Soak figures"). Outside <see cref="MirrorSyncPolicy.Periodic"/> nothing waits on the
    /// schedule but a failed sync's automatic retry, which Hangfire delays by 15 s or more anyway.
    /// </summary>
    public static readonly TimeSpan QuietSchedulePollInterval = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often the server looks for due scheduled and recurring jobs: every <see cref="PollInterval"/> when the
    /// alternate's mirror is synced periodically (its periods are scheduled jobs), else <see cref="QuietSchedulePollInterval"/>.
    /// </summary>
    internal static TimeSpan SchedulePolling(MirrorOptions mirror) =>
        mirror.SyncPolicy == MirrorSyncPolicy.Periodic ? PollInterval : QuietSchedulePollInterval;

    /// <summary>Hangfire's shutdown timeout: how long after the stopping signal its workers are waited for (Hangfire's default is 15 s).</summary>
    public static readonly TimeSpan ServerShutdownTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The longest the node waits for Hangfire's server to stop (<see cref="BoundedJobServerStop"/>): its shutdown timeout
    /// and 2 s for its last storage calls. Part of the host's shutdown timeout (PortalServiceCollectionExtensions).
    /// </summary>
    public static readonly TimeSpan StopBudget = ServerShutdownTimeout + TimeSpan.FromSeconds(2);

    /// <summary>Replaces the hosted service <c>AddHangfireServer</c> registered (after <paramref name="before"/>) by the same one behind <see cref="BoundedJobServerStop"/>.</summary>
    private static void BoundStop(IServiceCollection services, int before)
    {
        var index = -1;
        for (var i = before; i < services.Count; i++)
        {
            index = services[i].ServiceType == typeof(IHostedService) ? i : index;
        }

        if (index < 0 || services[index].ImplementationFactory is not { } create)
        {
            throw new InvalidOperationException("AddHangfireServer registered no hosted service made by a factory: the Hangfire version changed how its server is registered.");
        }

        services[index] = ServiceDescriptor.Describe(typeof(IHostedService), sp => new BoundedJobServerStop((IHostedService)create(sp), StopBudget,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BoundedJobServerStop>>()), services[index].Lifetime);
    }

    public static IServiceCollection AddMirrorSyncJobs(this IServiceCollection services)
    {
        services.AddSingleton<JobStorage>(sp => CreateStorage(sp.GetRequiredService<NodeDatabaseTarget>(), sp.GetRequiredService<IOptions<ClusterOptions>>().Value));
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, config) => config
            .UseLogProvider(new DisposalSafeLogProvider(sp.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());
        var before = services.Count;
        services.AddHangfireServer((sp, server) =>
        {
            server.ServerName = $"{sp.GetRequiredService<ClusterState>().LocalNodeId}:{Environment.ProcessId}:{Guid.NewGuid():N}";
            server.WorkerCount = Math.Clamp(Environment.ProcessorCount * 2, 2, 8);
            server.SchedulePollingInterval = SchedulePolling(sp.GetRequiredService<IOptions<MirrorOptions>>().Value);

            // Hangfire starts stopping at the host's stopping signal, after the graceful leave; jobs get their cancellation
            // after StopTimeout, and the node waits for the whole stop at most StopBudget (BoundedJobServerStop); a job cut
            // short runs again from its queue after the restart.
            server.StopTimeout = TimeSpan.FromSeconds(1);
            server.ShutdownTimeout = ServerShutdownTimeout;
            server.Activator = sp.GetRequiredService<JobActivator>();
        });
        BoundStop(services, before);
        services.AddSingleton<MirrorSyncQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<MirrorSyncQueue>());
        services.AddSingleton<PeriodicSyncScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<PeriodicSyncScheduler>());
        services.AddSingleton<MirrorSyncTrigger>();
        services.AddSingleton<ClusterEngine.Changes.IClusterChangeObserver, MirrorSyncObserver>();
        services.AddTransient(sp => new MirrorSyncJob(sp.GetRequiredService<MirrorSynchronizer>(), sp.GetRequiredService<MirrorSyncQueue>(),
            sp.GetRequiredService<PeriodicSyncScheduler>(), sp.GetRequiredService<PortalInstruments>(), sp.GetRequiredService<IOptions<MirrorOptions>>()));
        return services;
    }

    /// <summary>The Hangfire dashboard at <c>/hangfire</c> over this node's storage, admins only (401 without the admin key).</summary>
    public static IEndpointConventionBuilder MapJobsDashboard(this IEndpointRouteBuilder endpoints)
    {
        var storage = endpoints.ServiceProvider.GetRequiredService<JobStorage>();
        return endpoints.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [], // the endpoint's admin policy decides (TestServer-safe; no LocalRequestsOnly filter)
            AsyncAuthorization = [],
            DisplayStorageConnectionString = false,
            AppPath = "/",
        }, storage).RequireAuthorization(AuthSchemes.AdminPolicy);
    }

    /// <summary>The node's Hangfire database: <c>{Cluster:DataDirectory}/hangfire.db</c> (default <c>./data/{NodeId}</c>).</summary>
    internal static string DatabasePath(ClusterOptions options)
    {
        var directory = Hosting.NodeDataDirectory.Of(options);
        Directory.CreateDirectory(directory);
        return Path.GetFullPath(Path.Combine(directory, DatabaseFile));
    }

    /// <summary>The node's job storage on the provider of its node database (<paramref name="target"/>).</summary>
    internal static JobStorage CreateStorage(NodeDatabaseTarget target, ClusterOptions options) =>
        target.Provider == PersistenceProvider.PostgreSql ? CreatePostgreSqlStorage(target) : CreateStorage(DatabasePath(options));

    /// <summary>Durable PostgreSQL job storage in the node's schema (<see cref="NodeDatabaseTarget.Schema"/>) with ~1 s queue polling.</summary>
    internal static PostgreSqlStorage CreatePostgreSqlStorage(NodeDatabaseTarget target)
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = target.Schema!,
            PrepareSchemaIfNecessary = true, // creates or upgrades Hangfire's tables in the node's schema at start
            QueuePollInterval = PollInterval,
            InvisibilityTimeout = TimeSpan.FromMinutes(5), // a job of a killed process runs again after this
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(target.ConnectionString, options), options);
    }

    /// <summary>Durable SQLite job storage at <paramref name="path"/> with ~1 s queue polling.</summary>
    internal static SQLiteStorage CreateStorage(string path) => new(path, new SQLiteStorageOptions
    {
        QueuePollInterval = PollInterval,
        InvisibilityTimeout = TimeSpan.FromMinutes(5), // a job of a killed process runs again after this
    });
}
