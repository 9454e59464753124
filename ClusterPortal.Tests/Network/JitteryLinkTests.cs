using System.Globalization;
using ClusterPortal.Tests.Support;
using ClusterPortal.Tests.Support.History;
using ClusterPortal.Tests.Support.Network;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Network;

/// <summary>
/// A slow link with a wide jitter (docs/network.md "Slow, lossy links"): every node host's packets are held 300 ms ± 100 ms,
/// with the recommended settings (<c>Cluster:FailureRttFactor=16</c>) and devices running through the SDK. First the
/// cluster runs on that link for a while; then node-3's host is cut off until its peers declare it Down (its clients
/// fail over to their alternates), and reconnected, still on the jittery link, until every peer has it Up again: the
/// verdict is reversed. Every node's view is sampled all along, and the history checker finds no client that moved back
/// to a node it had left while its new primary stayed Up (patent Fig. 7: a node that comes back drops the roles others
/// now hold), and no client served by two primaries at once.
/// </summary>
[Collection(NetworkGroup.Name)]
[Trait("Category", "Network")]
[Trait("Category", "Process")]
public sealed class JitteryLinkTests(ITestOutputHelper output)
{
    private const int Devices = 12;
    private static readonly string[] Down = ["Down"];
    private static readonly string[] Up = ["Up"];

    [NetworkFact]
    public async Task At_300_ms_plus_minus_100_ms_a_reversed_down_verdict_moves_no_client_back_and_forth()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string name) => output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds:0.0} s] {name}"));
        var soak = TimeSpan.FromSeconds(int.Parse(Environment.GetEnvironmentVariable("CLUSTERPORTAL_JITTER_SECONDS") ?? "20", CultureInfo.InvariantCulture));
        await using var network = await TestNetwork.CreateAsync(nodeHosts: 3);
        await using var cluster = await NetworkCluster.StartAsync(network, 3,
            ["--Cluster:FailureRttFactor=16", "--Logging:LogLevel:ClusterEngine.Membership.ClusterHealthMonitor=Information",
                "--Logging:LogLevel:ClusterEngine.Membership.RoleRepair=Information", "--Logging:LogLevel:ClusterEngine.Membership.AssignmentReconciler=Information"]);
        var verdicts = new List<string>();
        foreach (var node in cluster.Nodes)
        {
            node.LineWritten += line =>
            {
                if (line.Contains("is Down", StringComparison.Ordinal) || line.Contains("is Up", StringComparison.Ordinal))
                {
                    lock (verdicts)
                    {
                        verdicts.Add($"{node.NodeId}: {line}");
                    }
                }
            };
        }

        Phase("cluster up");
        var history = new ClusterHistory();
        await using var devices = await SdkDevices.StartAsync(network, network.ClientHosts[0], Devices, history,
            o => (o.AttemptTimeout, o.OperationTimeout) = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60)));
        var observer = cluster[0];
        IDictionary<string, (string Primary, string? Alternate)> clients = new Dictionary<string, (string, string?)>();
        await Eventually.True(async () =>
        {
            clients = await cluster.ClientsAsync(observer);
            return devices.ClientIds.All(id => clients.TryGetValue(id, out var a) && a.Alternate is not null);
        }, "every device's client has an alternate", 60_000, cluster.Describe);

        Phase("devices placed, each with an alternate");
        int falseVerdicts;
        await using (var sampler = new ViewSampler(cluster, history))
        {
            foreach (var host in network.NodeHosts)
            {
                await network.ImpairAsync(host, delayMs: 300, jitterMs: 100);
            }

            Phase("links impaired");
            await Task.Delay(soak); // an observation window on the jittery link, not a wait for something to happen
            lock (verdicts)
            {
                falseVerdicts = verdicts.Count(v => v.Contains("is Down", StringComparison.Ordinal));
            }

            // Node-3 cut off on the jittery link until its peers declare it Down; its clients fail over to their alternates.
            clients = await cluster.ClientsAsync(observer);
            var onNode3 = devices.ClientIds.Where(id => clients[id].Primary == cluster[2].NodeId).ToList();
            Assert.True(onNode3.Count > 0, "no device's client had node-3 as primary: the reversal would prove nothing");
            var (h3, others) = (network.NodeHosts[2], new[] { network.NodeHosts[0], network.NodeHosts[1], network.ClientHosts[0] });
            await network.CutAsync(h3, others);
            var downAfter = await cluster.WaitStateAsync(cluster[2], [cluster[0], cluster[1]], Down, 60_000);
            await Eventually.True(async () =>
            {
                clients = await cluster.ClientsAsync(observer);
                return onNode3.All(id => clients[id].Primary != cluster[2].NodeId);
            }, "node-3's clients failed over to their alternates", 30_000, cluster.Describe);

            Phase("node-3's clients failed over");
            // Reconnected, still on the jittery link: the verdict is reversed, and the devices run on.
            await network.UncutAsync(h3, others);
            var upAfter = await cluster.WaitStateAsync(cluster[2], [cluster[0], cluster[1]], Up, 90_000);
            Phase("node-3 Up again on its peers");
            var target = history.Operations.Count + (5 * Devices);
            await Eventually.True(() => history.Operations.Count >= target, $"{5 * Devices} more device operations after node-3 came back", 120_000, cluster.Describe);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"300 ms ± 100 ms, FailureRttFactor=16: {falseVerdicts} false Down verdict(s) in {soak.TotalSeconds:0} s; node-3 cut off → Down on its peers {downAfter} ms; reconnected → Up again {upAfter} ms; {onNode3.Count} clients failed over from it; {sampler.Rounds} sampling rounds"));
        }

        Phase("sampler stopped");
        await network.HealAsync();
        await cluster.WaitAllUpAsync(60_000);
        Phase("healed, all Up");
        await devices.StopAsync();
        Phase("devices stopped");
        var final = await ViewSampler.FinalViewsAsync(cluster, cluster.Nodes);

        Phase("final views sampled");
        var views = history.Views.Concat(final).ToList();
        var movedBack = HistoryChecker.MovedBack(views).ToList();
        var twoPrimaries = HistoryChecker.TwoPrimaries(views, TimeSpan.FromMilliseconds(50)).ToList();
        var failed = history.Operations.Count(o => !o.Succeeded);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"client moves in node-1's view: {HistoryChecker.Moves(views, observer.NodeId)}; moved back and forth: {movedBack.Count}; two primaries: {twoPrimaries.Count}; device operations {history.Operations.Count}, failed {failed}"));
        lock (verdicts)
        {
            output.WriteLine(string.Join("\n", verdicts));
        }

        Assert.True(movedBack.Count == 0, "clients moved back and forth:\n" + string.Join("\n", movedBack.Take(10))
            + "\n" + string.Join("\n", twoPrimaries.Take(10)) + "\n" + cluster.Describe());
        Assert.True(twoPrimaries.Count == 0, "clients with two primaries:\n" + string.Join("\n", twoPrimaries.Take(10)));
    }
}
