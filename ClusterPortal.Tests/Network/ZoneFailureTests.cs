using System.Globalization;
using ClusterPortal.Tests.Support;
using ClusterPortal.Tests.Support.History;
using ClusterPortal.Tests.Support.Network;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Network;

/// <summary>
/// A whole zone failing (docs/network.md "Zones"): four nodes on their own hosts in two zones (<c>Cluster:Zone</c> a: node-1,
/// node-2; b: node-3, node-4) and devices using the SDK through the DNS name. The zone rule keeps every client's alternate
/// outside its primary's zone, so when both processes of zone a crash, every client still has a node: the devices lose
/// no operation after their failover, every client ends with its primary in zone b, and no client has two primaries.
/// The crashed processes' ports refuse, so the two survivors are the cluster (members known to have stopped do not
/// count for the quorum); a zone cut off without refusing would need an odd number of zones.
/// </summary>
[Collection(NetworkGroup.Name)]
[Trait("Category", "Network")]
[Trait("Category", "Process")]
public sealed class ZoneFailureTests(ITestOutputHelper output)
{
    private const int Devices = 16;

    [NetworkFact]
    public async Task When_a_whole_zone_crashes_every_client_is_served_by_the_other_zone_and_no_alternate_shared_its_primarys_zone()
    {
        static string ZoneOf(int i) => i < 2 ? "a" : "b";
        await using var network = await TestNetwork.CreateAsync(nodeHosts: 4);
        await using var cluster = await NetworkCluster.StartAsync(network, 4, nodeArgs: i => [$"--Cluster:Zone={ZoneOf(i)}"]);
        var zone = cluster.Nodes.Select((n, i) => (n.NodeId, Zone: ZoneOf(i))).ToDictionary(p => p.NodeId, p => p.Zone, StringComparer.Ordinal);
        var history = new ClusterHistory();
        await using var devices = await SdkDevices.StartAsync(network, network.ClientHosts[0], Devices, history);
        await Eventually.True(() => history.Operations.Count >= 5 * Devices, $"{5 * Devices} device operations", 90_000, cluster.Describe);

        // Every client has an alternate, and none in its primary's zone (both zones have room).
        var observer = cluster[3];
        IDictionary<string, (string Primary, string? Alternate)> clients = new Dictionary<string, (string, string?)>();
        await Eventually.True(async () =>
        {
            clients = await cluster.ClientsAsync(observer);
            return devices.ClientIds.All(id => clients.TryGetValue(id, out var a) && a.Alternate is not null);
        }, "every device's client has an alternate", 30_000, cluster.Describe);
        var sameZone = devices.ClientIds.Count(id => zone[clients[id].Primary] == zone[clients[id].Alternate!]);
        var primariesInA = devices.ClientIds.Count(id => zone[clients[id].Primary] == "a");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"before: {Devices} clients, {primariesInA} with their primary in zone a, {sameZone} with the alternate in the primary's zone"));
        Assert.Equal(0, sameZone);
        Assert.True(primariesInA > 0, "no client had its primary in zone a: the zone failure would prove nothing");

        // Zone a crashes whole; every node's view is sampled from here to the end.
        await using var sampler = new ViewSampler(cluster, history);
        cluster[0].Kill();
        cluster[1].Kill();
        var killedAt = ClusterHistory.Now;
        var survivors = new[] { cluster[2], cluster[3] };
        await cluster.WaitStateAsync(cluster[0], survivors, ["Down"], 20_000);
        await cluster.WaitStateAsync(cluster[1], survivors, ["Down"], 20_000);
        var target = history.Operations.Count + (5 * Devices);
        await Eventually.True(() => history.Operations.Count >= target, $"{5 * Devices} more device operations after zone a crashed", 90_000, cluster.Describe);

        await Eventually.True(async () =>
        {
            clients = await cluster.ClientsAsync(observer);
            return devices.ClientIds.All(id => clients.TryGetValue(id, out var a) && zone[a.Primary] == "b");
        }, "every client's primary in zone b", 30_000, cluster.Describe);
        await devices.StopAsync();

        var after = history.Operations.Where(o => o.Started > killedAt).ToList();
        var failed = after.Where(o => !o.Succeeded).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"after zone a crashed: {after.Count} operations, {failed.Count} failed; every client's primary in zone b"));
        Assert.True(failed.Count == 0, "operations failed after the zone crashed:\n" + string.Join("\n", failed.Take(10)));
        var final = await ViewSampler.FinalViewsAsync(cluster, survivors);

        Assert.Empty(HistoryChecker.TwoPrimaries([.. history.Views, .. final], TimeSpan.FromMilliseconds(50)));
    }
}
