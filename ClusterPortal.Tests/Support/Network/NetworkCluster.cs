using System.Globalization;

namespace ClusterPortal.Tests.Support.Network;

/// <summary>
/// A <see cref="ProcessCluster"/> on a <see cref="TestNetwork"/>: node <c>i</c> runs as <c>ip netns exec {h(i+1)} dotnet
/// ClusterPortal.dll</c> on <c>http://{its address}:5000</c>; node-1 starts the cluster, the others join through the
/// shared address's DNS name (<c>Cluster:Seeds:0=http://cluster.test:5000</c>, patent Fig. 8); the test reads the nodes
/// from the observer host.
/// </summary>
public static class NetworkCluster
{
    /// <summary>The port every node listens on (each node has its own address).</summary>
    public const int Port = 5000;

    /// <summary>The shared address as a URL: the DNS name of every node.</summary>
    public static string SharedAddress => string.Create(CultureInfo.InvariantCulture, $"http://{TestNetwork.DnsName}:{Port}");

    /// <summary>Starts <paramref name="count"/> nodes on the first node hosts of <paramref name="network"/>.</summary>
    /// <param name="network">The test network (at least <paramref name="count"/> node hosts).</param>
    /// <param name="count">Nodes to start.</param>
    /// <param name="extraArgs">Settings given to every node.</param>
    /// <param name="nodeArgs">Settings of one node by index (e.g. its zone).</param>
    public static Task<ProcessCluster> StartAsync(TestNetwork network, int count, IReadOnlyList<string>? extraArgs = null,
        Func<int, IReadOnlyList<string>>? nodeArgs = null) =>
        ProcessCluster.StartAsync(count, [.. Defaults, .. extraArgs ?? []], new NodeHosting(
            Url: i => string.Create(CultureInfo.InvariantCulture, $"http://{network.NodeHosts[i].Address}:{Port}"),
            Launcher: i => ["ip", "netns", "exec", network.NodeHosts[i].Namespace],
            Seeds: i => i == 0 ? [] : [SharedAddress],
            NodeArgs: nodeArgs ?? (_ => []),
            Handler: () => TestNetwork.Handler(network.Observer)), upTimeoutMs: 120_000);

    /// <summary>Settings of every node on the test network: a longer <c>Hello</c> wait (nodes start slowly on the shared 2-core machine); views readable from the observer host without the admin key.</summary>
    private static readonly string[] Defaults = ["--Cluster:HelloTimeout=00:00:10", "--Portal:AnonymousView=Always"];
}
