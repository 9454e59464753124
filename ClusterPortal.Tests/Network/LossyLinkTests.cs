using System.Diagnostics;
using System.Globalization;
using ClusterPortal.Tests.Support.Network;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Network;

/// <summary>
/// Slow, lossy links with the recommended settings (docs/network.md "Slow, lossy links": <c>Cluster:FailureRttFactor=16</c>):
/// every node host's packets are held 100 ms and 2 % are lost (a 200 ms round trip between nodes), and no node declares a
/// peer Down for the whole soak; with the same settings, a host cut off on a clean link is still Down on every peer quickly.
/// The soak lasts 60 s; set <c>CLUSTERPORTAL_SOAK_SECONDS=300</c> for the 5-minute run of the README figures. The soak is
/// an observation window (counting verdicts), not a wait for something to happen.
/// </summary>
[Collection(NetworkGroup.Name)]
[Trait("Category", "Network")]
[Trait("Category", "Process")]
public sealed class LossyLinkTests(ITestOutputHelper output)
{
    private static readonly string[] Down = ["Down"];

    [NetworkFact]
    public async Task No_false_down_verdict_at_100_ms_and_2_percent_loss_and_a_cut_off_host_is_still_down_quickly_on_a_clean_link()
    {
        var soak = TimeSpan.FromSeconds(int.Parse(Environment.GetEnvironmentVariable("CLUSTERPORTAL_SOAK_SECONDS") ?? "60", CultureInfo.InvariantCulture));
        await using var network = await TestNetwork.CreateAsync(nodeHosts: 3);
        await using var cluster = await NetworkCluster.StartAsync(network, 3,
            ["--Cluster:FailureRttFactor=16", "--Logging:LogLevel:ClusterEngine.Membership.ClusterHealthMonitor=Information"]);
        await cluster.WaitAllUpAsync(60_000);

        // A clean link first: the round trips are short, so the plain FailureTimeout applies.
        var watch = Stopwatch.StartNew();
        await network.IsolateAsync(network.NodeHosts[2]);
        await cluster.WaitStateAsync(cluster[2], [cluster[0], cluster[1]], Down, 15_000);
        output.WriteLine($"host cut off (clean link, FailureRttFactor=16) → Down on all peers: {watch.ElapsedMilliseconds} ms");
        await network.HealAsync();
        await cluster.WaitAllUpAsync(60_000);

        var verdicts = new List<string>();
        foreach (var node in cluster.Nodes)
        {
            node.LineWritten += line =>
            {
                if (line.Contains("is Down", StringComparison.Ordinal))
                {
                    lock (verdicts)
                    {
                        verdicts.Add($"{node.NodeId}: {line}");
                    }
                }
            };
        }

        foreach (var host in network.NodeHosts)
        {
            await network.ImpairAsync(host, delayMs: 100, loss: 0.02);
        }

        await Task.Delay(soak);
        string[] seen;
        lock (verdicts)
        {
            seen = [.. verdicts];
        }

        output.WriteLine($"false Down verdicts, {soak.TotalSeconds:0} s at 100 ms / 2 % loss: {seen.Length}");
        Assert.True(seen.Length == 0, "false Down verdicts on a slow, lossy link:\n" + string.Join("\n", seen));

    }
}
