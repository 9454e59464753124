using ClusterPortal.Client;
using ClusterPortal.Tests.Cluster;
using ClusterPortal.Tests.Support;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.ClientSdk;

/// <summary>
/// The client SDK rides through node failures on its own (issue 7, "Tests"; patent Fig. 6, 8): three node processes,
/// <c>kill -9</c> of a client's primary (zero failed operations), then of primary and alternate together (the client
/// re-announces at the survivor and carries on).
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class SdkFailoverTests(ITestOutputHelper output)
{
    private static readonly string[] Keys = ["hello.txt", "weather/current-berlin.json", "news/world/headlines.json", "text/welcome.txt"];

    private static ClusterClient NewClient(ProcessCluster cluster, string clientId)
    {
        var options = new ClusterClientOptions { ClientId = clientId, AttemptTimeout = TimeSpan.FromSeconds(3) };
        foreach (var node in cluster.Nodes)
        {
            options.SharedAddress.Add(new Uri(node.Url));
        }

        return new ClusterClient(options);
    }

    /// <summary>Each client requests items in a loop until stopped; returns every failure.</summary>
    private static async Task<List<string>> RunAsync(IReadOnlyList<ClusterClient> clients, CancellationToken stop)
    {
        var failures = new List<string>();
        await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    Assert.NotNull(await client.GetItemAsync(Keys[i % Keys.Length]));
                    await Task.Delay(20, CancellationToken.None);
                }
                catch (ClusterClientException ex)
                {
                    lock (failures)
                    {
                        failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {client.ClientId}: {ex.Message}");
                    }
                }
            }
        }, CancellationToken.None)));
        return failures;
    }

    [Fact]
    public async Task The_primary_killed_mid_run_costs_zero_failed_operations()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        var clients = Enumerable.Range(0, 6).Select(i => NewClient(cluster, $"sdk-kill-{i}")).ToList();
        foreach (var client in clients)
        {
            await client.LogOnAsync();
        }

        var victimId = clients[0].Session!.Primary.NodeId;
        var victim = cluster.Nodes.Single(n => n.NodeId == victimId);
        var victims = clients.Where(c => c.Session!.Primary.NodeId == victimId).ToList();
        using var stop = new CancellationTokenSource();
        var run = RunAsync(clients, stop.Token);
        await Eventually.True(() => clients.All(c => c.Statistics.Requests >= 5), "every client answered 5 requests before the kill", 30_000);
        var before = clients.Sum(c => c.Statistics.Requests);
        var victimsBefore = victims.ToDictionary(c => c.ClientId, c => c.Statistics.Requests);
        victim.Kill();

        // Conditions, not a time window: the clients of the killed node carry on elsewhere (the machine may be slow).
        await Eventually.True(() => clients.Sum(c => c.Statistics.Requests) - before > 50
                && victims.All(c => c.Statistics.Requests - victimsBefore[c.ClientId] >= 10 && c.Session!.Primary.NodeId != victimId),
            $"more than 50 requests after the kill of {victimId}, at least 10 by each of its clients, each re-announced elsewhere", 60_000,
            () => string.Join("\n", clients.Select(c => $"{c.ClientId}: {c.Session?.Primary.NodeId} {c.Statistics}")) + "\n" + cluster.Describe());
        await stop.CancelAsync();
        var failures = await run;

        var after = clients.Sum(c => c.Statistics.Requests) - before;
        output.WriteLine($"{before} requests before the kill, {after} after; failovers {clients.Sum(c => c.Statistics.Failovers)}, retries {clients.Sum(c => c.Statistics.Retries)}");
        Assert.True(failures.Count == 0, $"{failures.Count} failed operations:\n{string.Join("\n", failures.Take(20))}\n{cluster.Describe()}");
        Assert.All(victims, c => Assert.True(c.Statistics.Failovers > 0, $"{c.ClientId} failed over"));
        Assert.All(victims, c => Assert.NotEqual(victimId, c.Session!.Primary.NodeId));
        Assert.All(clients, c => Assert.Equal(0, c.Statistics.Errors));
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Primary_and_alternate_killed_the_client_re_announces_at_the_survivor_and_carries_on()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        await using var client = NewClient(cluster, "sdk-both");
        var session = await client.LogOnAsync();
        Assert.NotNull(session.Alternate);
        var survivor = cluster.Nodes.Single(n => n.NodeId != session.Primary.NodeId && n.NodeId != session.Alternate!.NodeId);
        using var stop = new CancellationTokenSource();
        var run = RunAsync([client], stop.Token);
        await Eventually.True(() => client.Statistics.Requests >= 10, "the device's first 10 requests before the kill");

        cluster.Nodes.Single(n => n.NodeId == session.Primary.NodeId).Kill();
        cluster.Nodes.Single(n => n.NodeId == session.Alternate!.NodeId).Kill();
        var killedAt = client.Statistics.Requests;
        await Eventually.True(() => client.Session!.Primary.NodeId == survivor.NodeId && client.Statistics.Requests > killedAt + 20,
            $"the client re-announced at {survivor.NodeId} and carried on", 20_000,
            () => $"session {client.Session}; stats {client.Statistics}\n{cluster.Describe()}");
        await stop.CancelAsync();
        var failures = await run;

        output.WriteLine($"stats {client.Statistics}; failures {failures.Count}");
        Assert.True(failures.Count == 0, $"{failures.Count} failed operations:\n{string.Join("\n", failures)}\n{cluster.Describe()}");
        var item = await client.GetItemAsync("hello.txt");
        Assert.Equal(survivor.NodeId, item!.ServedBy);
    }
}
