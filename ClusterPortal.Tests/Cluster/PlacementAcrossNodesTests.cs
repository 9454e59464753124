using System.Net;
using System.Net.Http.Json;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>Patent Fig. 2–5 across real nodes: offers over the backplane, bouncing, alternates, one primary per client.</summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class PlacementAcrossNodesTests
{
    [Fact]
    public async Task Fig2_thirty_clients_announced_at_one_node_spread_ten_ten_ten_on_every_view()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await using var cluster = await InProcessCluster.StartAsync(1000, 1000, 1000);
        Console.Error.WriteLine($"TIMING started {sw.ElapsedMilliseconds}");
        var http = cluster[0].Client();

        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sessions", new { clientId = $"spread-{i:D2}" })).StatusCode);
        }

        Console.Error.WriteLine($"TIMING announced {sw.ElapsedMilliseconds}");
        await Eventually.True(() => Enumerable.Range(0, 3).All(v => cluster.StateOf(v).ClientCount == 30), "every view holds 30 clients");
        Console.Error.WriteLine($"TIMING converged {sw.ElapsedMilliseconds}");
        for (var v = 0; v < 3; v++)
        {
            Assert.All(cluster.StateOf(v).Nodes, n => Assert.Equal(10, n.PrimaryCount));
            Assert.All(cluster.StateOf(v).Assignments(), a => Assert.NotEqual(a.Primary, a.Alternate));
        }
    }
}
