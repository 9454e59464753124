using System.Globalization;
using System.Net;
using System.Text;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// First announces (<c>POST /api/sessions</c> of fresh client ids, 201 each) at node-1 of the cluster:
/// 4 s warm-up, then the median of 3 rounds × 4 s with 32 workers. Measures what claiming an id cluster-wide
/// costs per announce (docs/identity.md).
/// </summary>
internal static class AnnounceScenario
{
    private const int Rounds = 3;
    private static readonly TimeSpan s_round = TimeSpan.FromSeconds(4);

    public static async Task RunAsync(Cluster cluster, List<string[]> report)
    {
        var entry = cluster.Nodes[0];
        var run = Guid.NewGuid().ToString("N")[..6];
        long sequence = 0;
        using var client = Cluster.CreateClient(32);
        Func<Task<bool>> announce = async () =>
        {
            var id = $"a-{run}-{Interlocked.Increment(ref sequence).ToString(CultureInfo.InvariantCulture)}";
            using var content = new StringContent("{\"clientId\":\"" + id + "\"}", Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(entry.Url + "/api/sessions", content).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.Created;
        };

        await Scenarios.LoadAsync(announce, s_round);
        var rates = new List<double>();
        long failed = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (rate, roundFailed) = await Scenarios.LoadAsync(announce, s_round);
            rates.Add(rate);
            failed += roundFailed;
            Console.Error.WriteLine($"  announce round {round + 1}: {rate:N0}/s ({roundFailed} not 201)");
        }

        report.Add([$"first announces at {entry.Name} of {cluster.Nodes.Count} nodes (median of {Rounds}×{s_round.TotalSeconds:0} s, 32 workers)",
            $"{Report.Median(rates):N0}/s (rounds {string.Join(", ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}; {failed} not 201)", "", ""]);
    }
}
