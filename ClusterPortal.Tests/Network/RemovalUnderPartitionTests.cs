using System.Net;
using ClusterPortal.Tests.Support;
using ClusterPortal.Tests.Support.History;
using ClusterPortal.Tests.Support.Network;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Network;

/// <summary>
/// An operator removes a node that is cut off from every peer (docs/recovery.md, "Removal and re-add"): the authority
/// cannot tell it first, so the removal applies after <c>Cluster:RemovalAckTimeout</c> without its answer. Its TCP
/// connections die in the cut, so it learns the removal only when the cut heals and it connects again — a path the
/// in-process tests (which hold the authority's message on an open connection) do not take. Devices run through the DNS
/// name all along and every node's view is sampled; the history checker judges the whole run: no client served by two
/// primaries (the cut-off node must not serve after the heal on the view it held), nothing lost. After the heal the node
/// restarts (it stays removed) and is added again by an operator (it is Up and serves again).
/// </summary>
[Collection(NetworkGroup.Name)]
[Trait("Category", "Network")]
[Trait("Category", "Process")]
public sealed class RemovalUnderPartitionTests(ITestOutputHelper output)
{
    private const int Devices = 16;
    private static readonly string[] Left = ["Left"];

    [NetworkFact]
    public async Task A_node_removed_while_cut_off_learns_it_when_the_cut_heals_serves_nobody_and_is_back_only_when_added_again()
    {
        await using var network = await TestNetwork.CreateAsync(nodeHosts: 3);
        await using var cluster = await NetworkCluster.StartAsync(network, 3);
        var (h1, h2, h3) = (network.NodeHosts[0], network.NodeHosts[1], network.NodeHosts[2]);
        var (node1, node2, node3) = (cluster[0], cluster[1], cluster[2]);
        var stayers = new[] { node1, node2 };
        var devicesHost = network.ClientHosts[0];
        var history = new ClusterHistory();
        await using var devices = await SdkDevices.StartAsync(network, devicesHost, Devices, history);
        await using (var sampler = new ViewSampler(cluster, history))
        {
            await devices.RunOnAsync(5, cluster.Describe);

            // node-3 cut off from its peers and from the devices; the observer (the test) still reaches every node.
            await network.CutAsync(h3, [h1, h2, devicesHost]);
            await Eventually.True(async () => await ViewSampler.ServingAsync(cluster, node3) == false, "node-3 (cut off) no longer serving", 20_000, cluster.Describe);
            await cluster.WaitStateAsync(node3, stayers, ["Down", "Suspect"], 20_000);

            var watch = System.Diagnostics.Stopwatch.StartNew();
            using (var delete = await cluster.AdminAsync(HttpMethod.Delete, node1, "/api/nodes/node-3"))
            {
                Assert.True(delete.StatusCode == HttpStatusCode.NoContent,
                    $"DELETE of the cut-off node: {(int)delete.StatusCode} {await delete.Content.ReadAsStringAsync()}\n{cluster.Describe()}");
            }

            output.WriteLine($"DELETE of the cut-off node answered in {watch.ElapsedMilliseconds} ms (it cannot confirm: Cluster:RemovalAckTimeout)");
            await cluster.WaitStateAsync(node3, stayers, Left, 15_000);
            Assert.NotEqual("Left", await cluster.StateAsync(node3, node3)); // the cut kept the removal from it
            Assert.False(await ViewSampler.ServingAsync(cluster, node3), "node-3 serves as primary while cut off");
            await devices.RunOnAsync(5, cluster.Describe);

            // The cut heals: node-3 connects again and must learn that it was removed, not rejoin.
            watch.Restart();
            await network.HealAsync();
            await Eventually.True(async () => await cluster.StateAsync(node3, node3) == "Left", "node-3 learns its removal after the cut healed", 30_000, cluster.Describe);
            output.WriteLine($"node-3 knew it was removed {watch.ElapsedMilliseconds} ms after the heal");
            await Eventually.True(async () => await node3.ProbeAsync("/health/ready") == HttpStatusCode.ServiceUnavailable, "node-3 not ready once it knows", 10_000, cluster.Describe);
            await AssertRemovedAnswersAsync(cluster, node3, "after the heal");
            await devices.RunOnAsync(5, cluster.Describe);
            foreach (var stayer in stayers)
            {
                Assert.Equal("Left", await cluster.StateAsync(stayer, node3)); // it did not rejoin by connecting again
            }

            // A restart keeps it removed.
            await node3.TerminateAsync();
            node3.Start();
            await Eventually.True(async () => await node3.ProbeAsync("/health/live") == HttpStatusCode.OK, "node-3 live after its restart", 60_000, cluster.Describe);
            await Eventually.True(async () => await cluster.StateAsync(node3, node3) == "Left", "node-3 still removed after its restart", 30_000, cluster.Describe);
            await AssertRemovedAnswersAsync(cluster, node3, "after its restart");
            await devices.RunOnAsync(5, cluster.Describe);
            foreach (var stayer in stayers)
            {
                Assert.Equal("Left", await cluster.StateAsync(stayer, node3));
            }

            // The operator adds it again: it is a member once more, pulls the tables and serves.
            using (var add = await cluster.AdminAsync(HttpMethod.Post, node2, "/api/nodes", new { url = node3.Url, capacity = 10_000 }))
            {
                Assert.True(add.StatusCode == HttpStatusCode.Created, $"re-add of node-3: {(int)add.StatusCode} {await add.Content.ReadAsStringAsync()}");
            }

            await node3.WaitReadyAsync(60_000);
            await cluster.WaitAllUpAsync(60_000);
            await Eventually.True(async () => await ViewSampler.ServingAsync(cluster, node3) == true, "node-3 serving again once added", 30_000, cluster.Describe);
            await devices.RunOnAsync(5, cluster.Describe);
            output.WriteLine($"{sampler.Rounds} sampling rounds");
        }

        await devices.StopAsync();
        var final = await ViewSampler.FinalViewsAsync(cluster, cluster.Nodes);

        var verdict = HistoryChecker.Check(history, final, TimeSpan.FromMilliseconds(50));
        output.WriteLine(verdict.ToString());
        Assert.True(verdict.Violations.Count == 0, verdict.ToString()); // in the message: CI's console shows no test output
        Assert.True(verdict.FailedOperations == 0, verdict + "\n" + string.Join("\n", history.Operations.Where(o => !o.Succeeded).Take(10)));
    }

    /// <summary>A client's requests at the removed node answer 503 with <c>X-Node-Removed</c>, so a device asks another node.</summary>
    private static async Task AssertRemovedAnswersAsync(ProcessCluster cluster, ProcessCluster.Node removed, string when)
    {
        var clientId = "probe-" + Guid.NewGuid().ToString("N")[..12];
        var (_, token) = await cluster.AnnounceAsync(cluster[0], clientId);
        using var item = await cluster.GetItemAsync(removed, clientId, token);
        Assert.True(item.StatusCode == HttpStatusCode.ServiceUnavailable, $"item at node-3 {when}: {(int)item.StatusCode}\n{cluster.Describe()}");
        Assert.Equal(removed.NodeId, item.Headers.GetValues("X-Node-Removed").Single());
    }
}
