using System.Diagnostics;
using ClusterPortal.Tests.Support.Network;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Network;

/// <summary>
/// Nodes on their own hosts (network namespaces, one address each) behind one DNS name (patent Fig. 8): the nodes join
/// through the name, a crashed process and a host cut off from the network are Down on every peer, and a host that comes
/// back is Up again everywhere. Times are printed as figures (README "Network figures"); the assertions allow for a
/// loaded machine.
/// </summary>
[Collection(NetworkGroup.Name)]
[Trait("Category", "Network")]
[Trait("Category", "Process")]
public sealed class HostFailureTests(ITestOutputHelper output)
{
    private static readonly string[] Down = ["Down"];
    private static readonly string[] Up = ["Up"];

    [NetworkFact]
    public async Task Nodes_join_through_the_dns_name_and_a_crashed_process_and_a_cut_off_host_are_Down_on_every_peer()
    {
        await using var network = await TestNetwork.CreateAsync(nodeHosts: 3);
        await using var cluster = await NetworkCluster.StartAsync(network, 3);
        var (n1, n2, n3) = (cluster[0], cluster[1], cluster[2]);
        Assert.Equal(3, (await cluster.StatesAsync(n3)).Count); // node-3 knew only the name; it found the others through it

        var watch = Stopwatch.StartNew();
        n3.Kill();
        await cluster.WaitStateAsync(n3, [n1, n2], Down, 10_000);
        output.WriteLine($"process crash on another host → Down on all peers: {watch.ElapsedMilliseconds} ms");

        n3.Start();
        await n3.WaitReadyAsync(120_000); // a restart on the shared 2-core machine can take a minute
        await cluster.WaitAllUpAsync();

        watch.Restart();
        await network.IsolateAsync(network.NodeHosts[2]);
        await cluster.WaitStateAsync(n3, [n1, n2], Down, 10_000);
        output.WriteLine($"host cut off (no packets) → Down on all peers: {watch.ElapsedMilliseconds} ms");

        await network.HealAsync();
        var healMs = await cluster.WaitStateAsync(n3, [n1, n2], Up, 30_000);
        output.WriteLine($"healed → Up again on all peers: {healMs} ms");
        await cluster.WaitAllUpAsync();
    }
}

/// <summary>Network tests run one at a time: each starts several node processes on a 2-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetworkGroup
{
    public const string Name = "Network";
}
