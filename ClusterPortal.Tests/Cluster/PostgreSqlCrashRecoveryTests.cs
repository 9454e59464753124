using ClusterEngine.Persistence;
using ClusterPortal.Tests.Support;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// Crash recovery on PostgreSQL (issue 16): three node processes share one database, each in its own schema; a node
/// killed with <c>kill -9</c> whose machine (data directory) is lost too comes back from its schema alone, is Up
/// everywhere, and every client has exactly one primary. The SQLite variant is in <see cref="ProcessFailureTests"/>.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class PostgreSqlCrashRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_killed_node_whose_data_directory_is_lost_restarts_from_its_schema_and_every_client_has_exactly_one_primary()
    {
        await using var store = await NodeStoreSettings.CreateAsync(PersistenceProvider.PostgreSql);
        await using var cluster = await ProcessCluster.StartAsync(3, store.Arguments());
        await ProcessFailureTests.AnnounceAsync(cluster);
        var victim = cluster[1];
        victim.Kill();
        await cluster.WaitStateAsync(victim, [cluster[0], cluster[2]], ["Down"], 5_000);
        if (Directory.Exists(victim.DataDirectory))
        {
            // Its state, jobs included, is in the database only; what stays is the one-process-per-directory lock (node.lock,
            // node.lock.holder) and the node's DataProtection keys (keys/: admin logins, not cluster state).
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(victim.DataDirectory),
                f => !Path.GetFileName(f).StartsWith(ClusterPortal.Hosting.DataDirectoryLock.NodeLockName, StringComparison.Ordinal)
                    && Path.GetFileName(f) != ClusterPortal.Security.NodeDataProtection.KeysDirectoryName);
            Directory.Delete(victim.DataDirectory, recursive: true);
        }

        var sw = System.Diagnostics.Stopwatch.StartNew();
        victim.Start();
        await victim.WaitReadyAsync();
        await cluster.WaitAllUpAsync();
        output.WriteLine($"restart → Up on all: {sw.ElapsedMilliseconds} ms");

        await ProcessFailureTests.AssertViewsAgreeAsync(cluster);
    }
}
