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
    [Fact]
    public async Task Quiet_clients_survive_two_crashes_in_a_row_at_the_alternate_chosen_between_them()
    {
        // Found by attack: the node that promoted itself and chose a new alternate queued its last-seen note for the next
        // relay period; it crashed within that period, the new alternate was promoted and removed, at its first idle pass,
        // clients last seen seconds before. The note now goes out at once.
        await using var cluster = await ProcessCluster.StartAsync(4, ["--Cluster:ClientIdleTimeout=00:00:20"]); // relay period 2 s
        var clients = await cluster.AnnounceManyAsync("quiet", 24);
        var placedAt = DateTime.UtcNow;
        var views = await cluster.ClientsAsync(cluster[0]);
        var pair = views.Values.GroupBy(v => (v.Primary, v.Alternate)).OrderByDescending(g => g.Count()).First().Key;
        var first = cluster.Nodes.Single(n => n.NodeId == pair.Primary);
        var second = cluster.Nodes.Single(n => n.NodeId == pair.Alternate);
        var watched = views.Where(kv => kv.Value == pair).Select(kv => kv.Key).ToHashSet();
        var survivors = cluster.Nodes.Where(n => n != first && n != second).ToList();

        // Busy at their primary only: a first hop elsewhere would record its own sighting.
        await using (var busy = new ClientDriver([first], [.. clients.Where(c => watched.Contains(c.ClientId))], workers: 2))
        {
            await Eventually.True(() => DateTime.UtcNow - placedAt > TimeSpan.FromSeconds(22), "22 s of requests since the placement", 40_000, cluster.Describe);
            await busy.StopAsync();
        }

        first.Kill();
        await cluster.WaitStateAsync(first, [second], ["Down"], 10_000);
        await Eventually.True(async () => (await cluster.ClientsAsync(second)).Where(kv => watched.Contains(kv.Key)).All(kv => kv.Value.Primary == second.NodeId && kv.Value.Alternate is not null),
            $"{second.NodeId} promoted with a new alternate for {watched.Count} clients", 10_000, cluster.Describe);
        second.Kill(); // within its relay period of the repair
        await cluster.WaitStateAsync(second, survivors, ["Down"], 10_000);
        await Eventually.True(async () => (await cluster.ClientsAsync(survivors[0])).Where(kv => watched.Contains(kv.Key)).All(kv => survivors.Any(n => n.NodeId == kv.Value.Primary)),
            $"the {watched.Count} clients promoted on the survivors", 10_000, cluster.Describe);

        // An observation window, not a synchronisation: more than one idle pass (2 s) of the new primaries, with no request
        // that could count as a sighting there; before the fix every watched client was gone by its end.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var gone = new List<string>();
        foreach (var clientId in watched)
        {
            using var answer = await cluster.AdminAsync(HttpMethod.Get, survivors[0], $"/api/clients/{clientId}");
            if (answer.StatusCode != HttpStatusCode.OK)
            {
                gone.Add($"{clientId}: {(int)answer.StatusCode}");
            }
        }

        output.WriteLine($"{watched.Count} clients of {first.NodeId}/{second.NodeId}, {gone.Count} gone {(DateTime.UtcNow - placedAt).TotalSeconds:F0} s after their placement");
        Assert.True(gone.Count == 0, "clients seen seconds before were removed after two crashes:\n" + string.Join("\n", gone));
    }
}
