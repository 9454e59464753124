using System.Net;
using System.Net.Http.Json;
using ClusterEngine.Membership;
using ClusterPortal.Client.Contract;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>POST/PATCH/DELETE /api/nodes across real nodes (patent Fig. 11; docs/architecture.md §6, §7).</summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class MembershipApiTests
{
    [Fact]
    public async Task Fig11_a_node_added_at_run_time_takes_new_clients_and_moves_none_of_the_old()
    {
        await using var cluster = await InProcessCluster.StartAsync(100, 100);
        for (var i = 0; i < 10; i++)
        {
            await cluster.Announce(0, $"old-{i}");
        }

        await cluster.WaitConvergedAsync();
        var before = cluster.StateOf(0).Assignments().ToDictionary(a => a.ClientId, a => a.Primary);
        var newcomer = cluster.Add(100, seeded: false);
        var admin = cluster[0].AdminClient();

        var added = await admin.PostAsJsonAsync("/api/nodes", new { url = newcomer.BaseUrl, capacity = 100, name = "Newcomer" });

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        await cluster.WaitAllUpAsync();
        for (var i = 0; i < 9; i++)
        {
            await cluster.Announce(1, $"new-{i}");
        }

        await cluster.WaitConvergedAsync();
        var view = cluster.StateOf(2);
        Assert.Equal(3, view.Assignments(a => a.ClientId.StartsWith("new-", StringComparison.Ordinal) && a.Primary == newcomer.NodeId).Count);
        Assert.All(before, kv => Assert.Equal(kv.Value, view.GetAssignment(kv.Key)!.Primary));
        Assert.Equal("Newcomer", view.GetNode(newcomer.NodeId)!.Name);
    }

    [Fact]
    public async Task Adding_nodes_refuses_bad_input_duplicates_and_unreachable_urls()
    {
        await using var cluster = await InProcessCluster.StartAsync(100, 100);
        var admin = cluster[0].AdminClient();

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/nodes", new { url = "ftp://x", capacity = 5 })).StatusCode);

        // A live node's URL with a credential in it: it was added as a second identity of that node, which then refused to
        // run (exit 2), and the credential was shown to every viewer (attack 2026-12-05). The URL of a node is its root.
        foreach (var url in new[] { cluster[1].BaseUrl.Replace("http://", "http://user:pass@", StringComparison.Ordinal), cluster[1].BaseUrl + "/x", cluster[1].BaseUrl + "/?q=1" })
        {
            var refused = await admin.PostAsJsonAsync("/api/nodes", new { url, capacity = 5 });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("url", (await refused.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options))!.Errors!.Keys);
        }

        Assert.All(cluster.StateOf(0).Nodes, n => Assert.DoesNotContain("@", n.Url, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/nodes", new { url = "http://127.0.0.1:1", capacity = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/nodes", new { url = cluster[1].BaseUrl, capacity = 5 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, (await admin.PostAsJsonAsync("/api/nodes", new { url = "http://127.0.0.1:9", capacity = 5 })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await cluster[0].Client().PostAsJsonAsync("/api/nodes", new { url = "http://127.0.0.1:9", capacity = 5 })).StatusCode);
    }

    [Fact]
    public async Task Fig6_maintenance_moves_the_nodes_clients_to_their_alternates_and_takes_no_new_ones()
    {
        await using var cluster = await InProcessCluster.StartAsync(100, 100, 100);
        for (var i = 0; i < 15; i++)
        {
            await cluster.Announce(0, $"m-{i}");
        }

        await cluster.WaitConvergedAsync();
        var admin = cluster[0].AdminClient();

        var patched = await admin.PatchAsJsonAsync("/api/nodes/node-2", new { mode = "Maintenance" });

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await Eventually.True(() => Enumerable.Range(0, 3).All(v => cluster.StateOf(v).GetNode("node-2")!.PrimaryCount == 0 && cluster.StateOf(v).GetNode("node-2")!.AlternateCount == 0),
            "node-2 has no roles on any view");
        await cluster.Announce(2, "after-maintenance");
        await cluster.WaitConvergedAsync();
        Assert.NotEqual("node-2", cluster.StateOf(0).GetAssignment("after-maintenance")!.Primary);
        Assert.Equal(NodeMode.Maintenance, cluster.StateOf(2).GetNode("node-2")!.Mode);

        // Asked at a node that is not the membership authority, the answer shows the change it made (it showed the
        // mode and capacity from before the change: the authority's broadcast reaches that node's view a moment later).
        for (var round = 0; round < 3; round++)
        {
            var (mode, capacity) = round % 2 == 0 ? ("Active", 42 + round) : ("Maintenance", 42 + round);
            var answer = await cluster[2].AdminClient().PatchAsJsonAsync("/api/nodes/node-2", new { mode, capacity });
            var shown = await answer.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            Assert.Equal((HttpStatusCode.OK, mode, capacity), (answer.StatusCode, shown.GetProperty("mode").GetString(), shown.GetProperty("capacity").GetInt32()));
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PatchAsJsonAsync("/api/nodes/node-2", new { capacity = -1 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PatchAsJsonAsync("/api/nodes/nope", new { capacity = 5 })).StatusCode);
        using var longId = await admin.DeleteAsync("/api/nodes/" + new string('x', 5000));
        Assert.Equal(HttpStatusCode.NotFound, longId.StatusCode);
        Assert.True((await longId.Content.ReadAsStringAsync()).Length < 1000, "a 5,000-character unknown id is not echoed whole");
    }

    [Fact]
    public async Task Removing_a_node_fails_its_clients_over_first_and_it_may_not_rejoin_by_itself()
    {
        await using var cluster = await InProcessCluster.StartAsync(100, 100, 100);
        for (var i = 0; i < 15; i++)
        {
            await cluster.Announce(0, $"r-{i}");
        }

        await cluster.WaitConvergedAsync();

        var removed = await cluster[0].AdminClient().DeleteAsync("/api/nodes/node-3");

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        await Eventually.True(() => new[] { 0, 1 }.All(v => cluster.StateOf(v).GetNode("node-3")!.State == NodeState.Left
            && cluster.StateOf(v).Assignments(a => a.Primary == "node-3" || a.Alternate == "node-3").Count == 0), "node-3 Left with no roles");
        await cluster.WaitConvergedAsync([0, 1]);
        Assert.Equal(15, cluster.StateOf(1).ClientCount);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].AdminClient().DeleteAsync("/api/nodes/node-3")).StatusCode);
    }

    [Fact]
    public async Task The_last_member_of_the_cluster_is_not_removed()
    {
        // Removed, the only node would serve nobody and no member would be left to add it back, not even after a restart
        // (attack 2026-12-05: 204, then 503 for every announce and every re-add). Two nodes: the second removal is the last.
        await using var cluster = await InProcessCluster.StartAsync(100, 100);
        await cluster.Announce(0, "last-1");
        var admin = cluster[0].AdminClient();

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/nodes/node-2")).StatusCode);
        var refused = await admin.DeleteAsync("/api/nodes/node-1");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("last member", (await refused.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options))!.Detail, StringComparison.Ordinal);
        Assert.False(cluster.StateOf(0).GetNode("node-1")!.State == NodeState.Left);
        Assert.Equal(HttpStatusCode.Created, (await cluster[0].Client().PostAsJsonAsync("/api/sessions", new { clientId = "after-refusal" })).StatusCode);
    }

    [Fact]
    public async Task Concurrent_adds_of_one_node_with_different_capacities_give_one_201_with_its_own_capacity()
    {
        // Attack 2026-12-05: of 10 concurrent adds sent to different nodes, 2–3 answered 201, the later ones with the
        // winner's capacity. A 201 must carry what that request asked for; the others are duplicates (409).
        await using var cluster = await InProcessCluster.StartAsync(100, 100, 100);
        await cluster.WaitAllUpAsync();
        var newcomer = cluster.Add(50, seeded: false);
        var answers = await Task.WhenAll(Enumerable.Range(0, 9).Select(async i =>
        {
            using var response = await cluster[i % 3].AdminClient().PostAsJsonAsync("/api/nodes", new { url = newcomer.BaseUrl, capacity = 200 + i });
            return (Asked: 200 + i, response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        var created = answers.Where(a => a.StatusCode == HttpStatusCode.Created).ToList();
        Assert.Single(created);
        Assert.Contains($"\"capacity\":{created[0].Asked}", created[0].Body, StringComparison.Ordinal);
        Assert.All(answers.Except(created), a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Conflict, HttpStatusCode.ServiceUnavailable }));
    }
}
