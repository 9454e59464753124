using System.Text.Json;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Startup;

/// <summary>
/// The runtime settings the node ships in <c>ClusterPortal.runtimeconfig.json</c> (the file <c>dotnet ClusterPortal.dll</c>
/// and the container image read at start): thread-pool workers that do not spin (README, "Idle CPU").
/// </summary>
public sealed class RuntimeConfigTests
{
    [Fact]
    public void The_node_ships_thread_pool_workers_that_sleep_instead_of_spinning()
    {
        var file = Path.ChangeExtension(ProcessCluster.PortalDll, ".runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(file));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var spinLimit),
            $"{file} has no System.Threading.ThreadPool.UnfairSemaphoreSpinLimit: {properties}");
        Assert.Equal(0, spinLimit.GetInt32());
    }
}
