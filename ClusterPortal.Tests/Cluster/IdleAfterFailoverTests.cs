using System.Net;
using ClusterPortal.Tests.Support;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// Idle expiry across a crash, with real processes (docs/architecture.md §5, "Idle clients"): clients placed longer ago
/// than <c>Cluster:ClientIdleTimeout</c> and busy at their primary until it is killed keep their registrations at the
/// alternate it promotes — the alternate had routed none of their requests, and used to count their idleness from their
/// placement and remove them all at its next idle pass — and clients that stop are still removed a timeout later.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class IdleAfterFailoverTests(ITestOutputHelper output)
{
    private const int Clients = 12;

    [Fact]
    public async Task Busy_clients_of_a_killed_primary_survive_at_their_alternate_and_are_removed_a_timeout_after_they_stop()
    {
        await using var cluster = await ProcessCluster.StartAsync(3, ["--Cluster:ClientIdleTimeout=00:00:06"]); // idle passes every 0.6 s
        var clients = await cluster.AnnounceManyAsync("busy", Clients);
        var placedAt = DateTime.UtcNow;
        var views = await cluster.ClientsAsync(cluster[0]);
        var victim = cluster.Nodes.First(n => views.Values.Count(v => v.Primary == n.NodeId) >= 2);
        var victimsClients = views.Where(kv => kv.Value.Primary == victim.NodeId).Select(kv => kv.Key).ToHashSet();
        var survivors = cluster.Nodes.Where(n => n != victim).ToList();

        // Busy through their primaries only (a first hop elsewhere would forward), for longer than the timeout.
        await using (var busy = new ClientDriver([victim], [.. clients.Where(c => victimsClients.Contains(c.ClientId))], workers: 2))
        {
            await Eventually.True(() => DateTime.UtcNow - placedAt > TimeSpan.FromSeconds(8) && busy.Results.Count(r => r.Ok) >= 40,
                "8 s of requests at the primary since the placement", 30_000, cluster.Describe);
            victim.Kill();
            Assert.All(busy.Results.Where(r => r.Status != 0), r => Assert.True(r.Ok, r.ToString()));
        }

        await cluster.WaitStateAsync(victim, survivors, ["Down"], 10_000);

        // The promoted alternates serve every one of them for several idle passes, as long as they keep coming.
        await using (var after = new ClientDriver(survivors, [.. clients.Where(c => victimsClients.Contains(c.ClientId))], workers: 2))
        {
            var from = DateTime.UtcNow;
            await Eventually.True(() => after.Results.Count(r => r.SentAt > from.AddSeconds(3)) >= 20,
                "20 requests sent more than 3 s (5 idle passes) after the failover", 30_000, cluster.Describe);
            await after.StopAsync();
            var failed = after.Results.Where(r => !r.Ok).ToList();
            output.WriteLine($"{after.Results.Count} requests after the failover, {failed.Count} failed");
            Assert.True(failed.Count == 0, "requests of busy clients failed after their primary's crash:\n" + string.Join("\n", failed.Take(10)));
        }

        // Left alone, they go: idle for the timeout at their new primaries.
        await Eventually.True(async () =>
        {
            foreach (var clientId in victimsClients)
            {
                using var gone = await cluster.AdminAsync(HttpMethod.Get, survivors[0], $"/api/clients/{clientId}");
                if (gone.StatusCode != HttpStatusCode.NotFound)
                {
                    return false;
                }
            }

            return true;
        }, "the crashed primary's clients removed as idle once they stopped", 30_000, cluster.Describe);
    }
}
