using System.Net;
using System.Net.Http.Json;
using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterPortal.Client.Contract;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// An announce whose offers are all refused or unanswered while a node below capacity exists is told to retry in a second,
/// not that the cluster is full (docs/identity.md, failure cases; found by attack: a 0.5 s freeze of one of two nodes
/// answered "The cluster is full" with <c>Retry-After: 30</c>).
/// </summary>
[Trait("Category", "Cluster")]
public sealed class AnnounceRefusedTests
{
    [Fact]
    public async Task Offers_refused_below_capacity_answer_503_retry_in_a_second_not_cluster_full()
    {
        var refuse = new RefuseHubMethod(BackplaneMethods.Offer);
        await using var cluster = new InProcessCluster();
        cluster.Add(100);
        cluster.Add(100, configure: InProcessCluster.WithHubFilter(refuse));
        await cluster.WaitAllUpAsync();

        // node-1 in maintenance takes no new clients itself; node-2, the one node that could, refuses every offer.
        using (var patched = await cluster[0].AdminClient().PatchAsJsonAsync("/api/nodes/node-1", new { mode = "Maintenance" }))
        {
            Assert.True(patched.IsSuccessStatusCode, $"PATCH node-1 maintenance: {(int)patched.StatusCode}");
        }

        await Eventually.True(() => cluster.StateOf(0).GetNode("node-1")!.Mode == NodeMode.Maintenance, "node-1 in maintenance in its own view");
        refuse.Armed = true;

        using var http = cluster[0].CreateClient();
        using var refused = await http.PostAsJsonAsync("/api/sessions", new { clientId = "refused-now" });
        var problem = await refused.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("No node can take a new client right now", problem!.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("full", problem.Detail, StringComparison.OrdinalIgnoreCase);

        // node-2 takes offers again: the same id is placed (its claim was released, not left to expire).
        refuse.Armed = false;
        using var placed = await http.PostAsJsonAsync("/api/sessions", new { clientId = "refused-now" });
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        Assert.Equal("node-2", (await placed.Content.ReadFromJsonAsync<SessionResponse>(ContractJson.Options))!.Primary.NodeId);
    }
}
