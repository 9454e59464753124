using System.Globalization;
using System.Net.Http.Json;
using ClusterEngine.Backplane;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// <c>clusterportal.backplane.call.duration</c> (README "Metrics"): the calls a node makes to its peers and waits for are
/// timed by method and outcome — the heartbeats always, a claim or an offer when a new client announced at the node has
/// a claim holder or a round-robin primary elsewhere; a call the peer refuses shows as <c>failed</c>.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessMetricsGroup.Name)]
public sealed class BackplaneCallMetricTests
{
    private const string Count = "clusterportal_backplane_call_duration_seconds_count{";
    private const string Sum = "clusterportal_backplane_call_duration_seconds_sum{";

    [Fact]
    public async Task Calls_to_peers_are_timed_by_method_and_outcome()
    {
        var refuse = new RefuseHubMethod(BackplaneMethods.Claim);
        await using var cluster = new InProcessCluster();
        cluster.Add(100);
        cluster.Add(100);
        cluster.Add(100, configure: InProcessCluster.WithHubFilter(refuse));
        await cluster.WaitAllUpAsync();
        for (var i = 0; i < 12; i++)
        {
            await cluster.Announce(0, $"timed-{i}");
        }

        // Of 12 new ids announced at node-1 among three nodes, some have a claim holder other than node-1 and some a
        // round-robin primary other than node-1: both calls are made and timed at node-1, each with a reply.
        var metrics = "";
        await Eventually.True(async () =>
            {
                metrics = await MetricsAsync(cluster, 0);
                return Value(metrics, Count, 0, "Claim", "ok") > 0 && Value(metrics, Count, 0, "Offer", "ok") > 0 && Value(metrics, Count, 0, "Status", "ok") > 0;
            },
            "node-1 timing its Claim, Offer and Status calls answered by its peers", describe: () => metrics);
        Assert.Equal(0, Value(metrics, Count, 0, "Claim", "failed"));
        Assert.InRange(Value(metrics, Sum, 0, "Claim", "ok") / Value(metrics, Count, 0, "Claim", "ok"), 0, 1); // seconds per claim: replies, not timeouts

        // node-3 refuses claims from now on: the claims node-1 sends it fail (those announces answer 503) and are counted so.
        refuse.Armed = true;
        using var http = cluster[0].CreateClient();
        var answers = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            using var answer = await http.PostAsJsonAsync("/api/sessions", new { clientId = $"refused-{i}" });
            answers.Add((int)answer.StatusCode);
        }

        Assert.Contains(503, answers); // some of the 12 ids have node-3 as a claim holder
        await Eventually.True(async () =>
            {
                metrics = await MetricsAsync(cluster, 0);
                return Value(metrics, Count, 0, "Claim", "failed") > 0;
            },
            $"node-1 counting the Claim calls node-3 refused as failed (announces answered {string.Join(", ", answers)})", describe: () => metrics);
    }

    private static Task<string> MetricsAsync(InProcessCluster cluster, int node) => cluster[node].AdminClient().GetStringAsync("/metrics");

    /// <summary>The sum of the series of <paramref name="prefix"/> for one node, method and outcome.</summary>
    private static double Value(string metrics, string prefix, int node, string method, string outcome) =>
        PrometheusText.Sum(metrics, prefix, $"method=\"{method}\"", $"outcome=\"{outcome}\"", string.Create(CultureInfo.InvariantCulture, $"node=\"node-{node + 1}\""));
}
