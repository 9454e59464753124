using System.Globalization;
using System.Net;
using System.Text;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// First announces (<c>POST /api/sessions</c> of fresh client ids, 201 each) at node-1 of the cluster:
/// 20 s warm-up (the nodes' JIT tiering), then the median of 3 rounds × 5 s with 32 workers; refusals are counted by status and problem. Measures what claiming an id cluster-wide
/// costs per announce (docs/identity.md).
/// </summary>
internal static class AnnounceScenario
{
    private const int Rounds = 3;
    private static readonly TimeSpan s_round = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_warmUp = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(Cluster cluster, List<string[]> report)
    {
        var entry = cluster.Nodes[0];
        var run = Guid.NewGuid().ToString("N")[..6];
        long sequence = 0;
        var refusals = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var client = Cluster.CreateClient(32);
        Func<Task<bool>> announce = async () =>
        {
            var id = $"a-{run}-{Interlocked.Increment(ref sequence).ToString(CultureInfo.InvariantCulture)}";
            using var content = new StringContent("{\"clientId\":\"" + id + "\"}", Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(entry.Url + "/api/sessions", content).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return true;
            }

            // What was refused, and why: the status and the problem's title (or detail), counted.
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            refusals.AddOrUpdate($"{(int)response.StatusCode} {Problem(body)}", 1, (_, n) => n + 1);
            return false;
        };

        await Scenarios.LoadAsync(announce, s_warmUp);
        var rates = new List<double>();
        long failed = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (rate, roundFailed) = await Scenarios.LoadAsync(announce, s_round);
            rates.Add(rate);
            failed += roundFailed;
            Console.Error.WriteLine($"  announce round {round + 1}: {rate:N0}/s ({roundFailed} not 201)");
        }

        foreach (var (refusal, count) in refusals.OrderByDescending(r => r.Value))
        {
            Console.Error.WriteLine($"  not 201: {count} × {refusal}");
        }

        report.Add([$"first announces at {entry.Name} of {cluster.Nodes.Count} nodes (median of {Rounds}×{s_round.TotalSeconds:0} s, 32 workers)",
            $"{Report.Median(rates):N0}/s (rounds {string.Join(", ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}; {failed} not 201)", "", ""]);
    }

    /// <summary>The detail (else the title) of a problem details body, or its first 120 characters.</summary>
    private static string Problem(string body)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            foreach (var name in new[] { "detail", "title" })
            {
                if (json.RootElement.TryGetProperty(name, out var value))
                {
                    return value.GetString() ?? "";
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return body.Length > 120 ? body[..120] : body;
    }
}
