using ClusterEngine.Membership;
using ClusterEngine.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClusterEngine.Tests.Persistence;

/// <summary><c>AddSqlitePersistence</c> wires the database, the restore at start and the drain at stop into a host.</summary>
public sealed class PersistenceRegistrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Host_writes_to_the_data_directory_and_restores_its_state_after_a_restart()
    {
        string clientPrimary;
        using (var host = BuildHost())
        {
            await host.StartAsync();
            var state = host.Services.GetRequiredService<ClusterState>();
            var writer = host.Services.GetRequiredService<PersistenceWriter>();
            state.AddOrUpdateNode(new NodeInfo("n2", "http://127.0.0.1:5102", 100, Order: 1));
            writer.Enqueue(TempNodeStore.MemberOf(state.GetNode("n2")!));
            var change = state.Announce("client-1").Change!;
            writer.Enqueue(change);
            clientPrimary = change.Primary!;
            await host.StopAsync(); // drains the queue
        }

        Assert.True(File.Exists(_dir.DatabaseFile));
        using (var restarted = BuildHost())
        {
            await restarted.StartAsync();
            var state = restarted.Services.GetRequiredService<ClusterState>();

            Assert.Equal(clientPrimary, state.GetAssignment("client-1")?.Primary);
            Assert.NotNull(state.GetNode("n2"));
            var factory = restarted.Services.GetRequiredService<IDbContextFactory<NodeDbContext>>();
            await using var db = await factory.CreateDbContextAsync();
            Assert.Equal(1, await db.Assignments.CountAsync());
            await restarted.StopAsync();
        }
    }

    [Fact]
    public void Default_data_directory_is_data_slash_node_id()
    {
        var options = new ClusterOptions { NodeId = "node-7" };

        Assert.Equal(Path.Combine("data", "node-7"), PersistenceClusterEngineBuilderExtensions.DataDirectoryOf(options));
    }

    private IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:NodeId"] = "n1",
            ["Cluster:Capacity"] = "100",
            ["Cluster:DataDirectory"] = _dir.Path,
        });
        builder.Services.AddClusterEngine(builder.Configuration).AddSqlitePersistence();
        return builder.Build();
    }
}
