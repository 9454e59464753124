using ClusterEngine.Membership;
using ClusterEngine.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClusterEngine.Tests.Persistence;

/// <summary><c>AddPersistence</c> wires the database, the restore at start and the drain at stop into a host.</summary>
public abstract class PersistenceRegistrationTests : StoreTestBase
{
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

        Assert.Equal(Provider == PersistenceProvider.Sqlite, File.Exists(Path.Combine(Location.DataDirectory, PersistenceOptions.DatabaseFileName)));
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

    private IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder();
        var settings = Location.Settings();
        settings["Cluster:NodeId"] = "n1";
        settings["Cluster:Capacity"] = "100";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddClusterEngine(builder.Configuration).AddPersistence(builder.Configuration);
        return builder.Build();
    }
}

/// <summary><see cref="PersistenceRegistrationTests"/> on SQLite.</summary>
public sealed class PersistenceRegistrationTestsSqlite : PersistenceRegistrationTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.Sqlite;
}

/// <summary><see cref="PersistenceRegistrationTests"/> on PostgreSQL.</summary>
[Trait("Category", "Process")]
public sealed class PersistenceRegistrationTestsPostgreSql : PersistenceRegistrationTests
{
    protected override PersistenceProvider Provider => PersistenceProvider.PostgreSql;
}
