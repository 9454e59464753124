using System.Net;
using System.Net.Http.Json;
using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// The order of a removal (docs/recovery.md, "Removal and re-add"): the removed node is told first and stops serving; only
/// then do the others fail its clients over — or after <c>Cluster:RemovalAckTimeout</c> when it does not answer.
/// </summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class RemovalOrderTests
{
    [Fact]
    public async Task A_removed_node_stops_serving_before_any_other_node_takes_its_clients()
    {
        // node-3 is slow to take in its removal (a loaded host): its hub holds the authority's message for 500 ms, well
        // inside the 1 s the authority waits. Before the fix the authority applied the removal at once, so node-1 and node-2
        // promoted node-3's clients while node-3 still served them.
        await using var cluster = new InProcessCluster();
        var hold = new RemovalHold("node-3", TimeSpan.FromMilliseconds(500));
        await StartAsync(cluster, hold, ackTimeout: "00:00:01");
        var ofNode3 = await ClientsOfNode3Async(cluster);
        hold.Check = () => ViewsKeepNode3(cluster, ofNode3);

        var removed = await cluster[0].AdminClient().DeleteAsync("/api/nodes/node-3");

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.True(await hold.Released.Task.WaitAsync(TimeSpan.FromSeconds(30)),
            "node-1 or node-2 failed node-3's clients over while node-3 had not yet taken in its removal: " + hold.Seen);
        Assert.True(cluster[2].Services.GetRequiredService<LocalNodeStatus>().Removed, "node-3 knows it is removed when the DELETE answers");
        await Eventually.True(() => new[] { 0, 1 }.All(v => cluster.StateOf(v).GetNode("node-3")!.State == NodeState.Left
            && cluster.StateOf(v).Assignments(a => a.Primary == "node-3" || a.Alternate == "node-3").Count == 0), "node-3 Left with no roles at node-1 and node-2");
    }

    [Fact]
    public async Task A_removed_node_that_does_not_answer_is_removed_after_the_ack_timeout()
    {
        // node-3 holds the message for 3 s (frozen, cut off); the authority waits 300 ms and removes it anyway.
        await using var cluster = new InProcessCluster();
        var hold = new RemovalHold("node-3", TimeSpan.FromSeconds(3));
        await StartAsync(cluster, hold, ackTimeout: "00:00:00.300");
        var ofNode3 = await ClientsOfNode3Async(cluster);
        hold.Check = () => ViewsKeepNode3(cluster, ofNode3);

        var removed = await cluster[0].AdminClient().DeleteAsync("/api/nodes/node-3");

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.False(hold.Released.Task.IsCompleted, "the DELETE answered before node-3 released the message");
        await Eventually.True(() => new[] { 0, 1 }.All(v => cluster.StateOf(v).GetNode("node-3")!.State == NodeState.Left
            && cluster.StateOf(v).Assignments(a => a.Primary == "node-3" || a.Alternate == "node-3").Count == 0), "node-3 Left with no roles while it still holds the message");
        Assert.False(hold.Released.Task.IsCompleted, "node-3 was still holding the message when the others had failed its clients over");
        Assert.False(await hold.Released.Task.WaitAsync(TimeSpan.FromSeconds(30)), "the views kept node-3's clients although the removal applied");
        await Eventually.True(() => cluster[2].Services.GetRequiredService<LocalNodeStatus>().Removed, "node-3 learns its removal once it answers");
    }

    [Fact]
    public async Task Re_adding_a_node_whose_removal_waits_for_it_answers_503_not_409()
    {
        // While the authority waits for node-3's answer the removal is decided but not in the member list: node-3 looks like a
        // live member, and a re-add got 409 "already in the cluster" (found by attack). It is "not yet": 503 and Retry-After.
        await using var cluster = new InProcessCluster();
        var hold = new RemovalHold("node-3", TimeSpan.FromSeconds(2));
        await StartAsync(cluster, hold, ackTimeout: "00:00:05");
        var authority = cluster[0].Services.GetRequiredService<MembershipAuthority>();
        var admin = cluster[0].AdminClient();

        var removal = admin.DeleteAsync("/api/nodes/node-3");
        await Eventually.True(() => authority.IsBeingRemoved("node-3"), "node-1 (the authority) waiting for node-3's answer");
        var readd = await admin.PostAsJsonAsync("/api/nodes", new { url = cluster[2].BaseUrl, capacity = 100 });
        var readdBody = await readd.Content.ReadAsStringAsync();
        var stillWaiting = authority.IsBeingRemoved("node-3");

        Assert.True(stillWaiting, "the removal stopped waiting before the re-add answered; the hold is too short for this machine");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readd.StatusCode);
        Assert.Contains("being removed", readdBody, StringComparison.Ordinal);
        Assert.NotNull(readd.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.NoContent, (await removal).StatusCode);
    }

    [Fact]
    public async Task Re_adding_through_another_node_while_the_removal_waits_answers_503_not_409()
    {
        // As above, but the operator's POST reaches node-2, which is not the authority: its own view still has node-3 as a
        // live member while the authority waits for node-3's answer.
        await using var cluster = new InProcessCluster();
        var hold = new RemovalHold("node-3", TimeSpan.FromSeconds(2));
        await StartAsync(cluster, hold, ackTimeout: "00:00:05");
        var authority = cluster[0].Services.GetRequiredService<MembershipAuthority>();

        var removal = cluster[0].AdminClient().DeleteAsync("/api/nodes/node-3");
        await Eventually.True(() => authority.IsBeingRemoved("node-3"), "node-1 (the authority) waiting for node-3's answer");
        var readd = await cluster[1].AdminClient().PostAsJsonAsync("/api/nodes", new { url = cluster[2].BaseUrl, capacity = 100 });
        var readdBody = await readd.Content.ReadAsStringAsync();
        var stillWaiting = authority.IsBeingRemoved("node-3");

        Assert.True(stillWaiting, "the removal stopped waiting before the re-add answered; the hold is too short for this machine");
        Assert.True(readd.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)readd.StatusCode} {readdBody}");
        Assert.Contains("being removed", readdBody, StringComparison.Ordinal);
        Assert.NotNull(readd.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.NoContent, (await removal).StatusCode);
    }

    [Fact]
    public async Task A_request_forwarded_to_a_node_just_removed_is_failed_over_in_the_same_request()
    {
        // The removed node is told first and answers 503 "removed" at once, while the other views learn of the removal a
        // moment later; a request a peer forwarded to it in between got that 503 through a healthy node (found by attack:
        // 11 answers over 4 removals under load). Here node-2 learns late: its hub holds the authority's removal message for
        // 2 s and heartbeats run once a second. node-2 must wait for the removal and serve from the client's alternate.
        await using var cluster = new InProcessCluster();
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:HeartbeatInterval"] = "00:00:01", ["Cluster:FailureTimeout"] = "00:00:05", ["Cluster:RemovalAckTimeout"] = "00:00:05",
        };
        var hold = new RemovalHold("node-3", TimeSpan.FromSeconds(2));
        cluster.Add(100, settings);
        cluster.Add(100, settings, configure: InProcessCluster.WithHubFilter(hold));
        cluster.Add(100, settings);
        await cluster.WaitAllUpAsync();
        SessionBody? ofNode3 = null;
        for (var i = 0; ofNode3 is null && i < 30; i++)
        {
            var (_, session) = await cluster.Announce(i % 3, $"forward-removed-{i}");
            ofNode3 = session.Primary.NodeId == "node-3" ? session : null;
        }

        Assert.NotNull(ofNode3);
        await cluster.WaitConvergedAsync();
        var http = cluster[1].Client();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ofNode3.Token);

        var removed = await cluster[0].AdminClient().DeleteAsync("/api/nodes/node-3");
        var node2Saw = cluster.StateOf(1).GetNode("node-3")?.State;
        var answer = await http.GetAsync($"/api/clients/{ofNode3.ClientId}/items/hello.txt");

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.True(answer.StatusCode == HttpStatusCode.OK,
            $"{(int)answer.StatusCode} through node-2 (which saw node-3 {node2Saw} when the request left): {await answer.Content.ReadAsStringAsync()}");
        Assert.Equal("hello", await answer.Content.ReadAsStringAsync());
        Assert.NotEqual("node-3", answer.Headers.GetValues("X-Served-By").Single());

        // Asked directly, the removed node says so in a header a device (or the SDK) can act on without parsing the body.
        var direct = cluster[2].Client();
        direct.DefaultRequestHeaders.Authorization = http.DefaultRequestHeaders.Authorization;
        var atRemoved = await direct.GetAsync($"/api/clients/{ofNode3.ClientId}/items/hello.txt");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, atRemoved.StatusCode);
        Assert.Equal("node-3", atRemoved.Headers.GetValues("X-Node-Removed").Single());
        var announce = await cluster[2].Client().PostAsJsonAsync("/api/sessions", new { clientId = "announced-at-removed" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, announce.StatusCode);
        Assert.Equal("node-3", announce.Headers.GetValues("X-Node-Removed").Single());
        Assert.True(cluster.StateOf(0).GetAssignment("announced-at-removed") is null, "an announce at the removed node placed the client");

        // Nor does it tell the client's assignment from its last view, which the others have moved on from (it named node-3
        // as the primary of clients node-1 had failed over; found by attack): to the device and to an operator alike.
        foreach (var asker in new[] { direct, cluster[2].AdminClient() })
        {
            var assignment = await asker.GetAsync($"/api/clients/{ofNode3.ClientId}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, assignment.StatusCode);
            Assert.Equal("node-3", assignment.Headers.GetValues("X-Node-Removed").Single());
            Assert.Equal("node-3", assignment.Headers.GetValues("X-Served-By").Single());
        }
    }

    [Fact]
    public async Task Removing_the_authority_through_another_node_answers_204()
    {
        // The authority removes itself at once (no connection to itself to wait on) and spreads the removal; the node that
        // asked drops its connection to a removed member on that message — the connection its answer was on — and
        // answered 503 "did not answer" for a removal that had applied (attack, 1 of 7; here in the first round without the fix).
        for (var round = 0; round < 2; round++)
        {
            await using var cluster = await InProcessCluster.StartAsync(100, 100, 100);

            var removed = await cluster[1].AdminClient().DeleteAsync("/api/nodes/node-1");

            Assert.True(removed.StatusCode == HttpStatusCode.NoContent, $"round {round}: {(int)removed.StatusCode} {await removed.Content.ReadAsStringAsync()}");
            await Eventually.True(() => new[] { 1, 2 }.All(v => cluster.StateOf(v).GetNode("node-1")?.State == NodeState.Left), "node-1 Left at node-2 and node-3");
        }
    }

    [Fact]
    public async Task A_member_heard_without_a_connection_to_it_is_connected_again()
    {
        // After a re-add, a Left status the node sent before it learned of the add could arrive after it and close the
        // authority's new connection to it (a Left status closes the connection: the node left gracefully); nothing opened
        // it again while the node's own connection stayed up, so claims and offers to it failed (found by attack). Here the
        // connection is closed the same way; the node's next status must bring it back.
        await using var cluster = await InProcessCluster.StartAsync(100, 100, 100);
        var mesh = cluster[0].Services.GetRequiredService<PeerMesh>();
        Assert.True(mesh.IsConnected("node-3"), "node-1 is connected to node-3 after the start");

        mesh.Disconnect("node-3");

        Assert.False(mesh.IsConnected("node-3"));
        await Eventually.True(() => mesh.IsConnected("node-3"), "node-1 connected to node-3 again after hearing its status");
        await cluster.Announce(0, "after-reconnect-0");
        await cluster.Announce(0, "after-reconnect-1");
        await cluster.Announce(0, "after-reconnect-2");
    }

    private static async Task StartAsync(InProcessCluster cluster, RemovalHold hold, string ackTimeout)
    {
        var settings = new Dictionary<string, string?> { ["Cluster:RemovalAckTimeout"] = ackTimeout };
        cluster.Add(100, settings);
        cluster.Add(100, settings);
        cluster.Add(100, settings, configure: InProcessCluster.WithHubFilter(hold));
        await cluster.WaitAllUpAsync();
    }

    /// <summary>Announces clients until node-3 is the primary of some and the alternate of others; returns node-3's roles as node-1 sees them.</summary>
    private static async Task<int> ClientsOfNode3Async(InProcessCluster cluster)
    {
        for (var i = 0; i < 15; i++)
        {
            await cluster.Announce(i % 3, $"removal-order-{i}");
        }

        await cluster.WaitConvergedAsync();
        var roles = cluster.StateOf(0).Assignments(a => a.Primary == "node-3" || a.Alternate == "node-3").Count;
        Assert.True(roles > 0, "round robin gave node-3 no roles among 15 clients");
        return roles;
    }

    private static (bool Kept, string Seen) ViewsKeepNode3(InProcessCluster cluster, int roles)
    {
        var views = new[] { 0, 1 }.Select(v => (cluster[v].NodeId, State: cluster.StateOf(v).GetNode("node-3")?.State,
            Roles: cluster.StateOf(v).Assignments(a => a.Primary == "node-3" || a.Alternate == "node-3").Count)).ToList();
        return (views.All(v => v.State == NodeState.Up && v.Roles == roles),
            string.Join("; ", views.Select(v => $"{v.NodeId} sees node-3 {v.State} with {v.Roles} of {roles} roles")));
    }

    /// <summary>
    /// Holds the one <c>Members</c> call that tells <paramref name="nodeId"/> it is removed for <paramref name="hold"/> (a slow
    /// or frozen node), then records whether the other views still gave that node its clients (<see cref="Check"/>).
    /// </summary>
    private sealed class RemovalHold(string nodeId, TimeSpan hold) : IHubFilter
    {
        private int _held;

        public Func<(bool Kept, string Seen)> Check { get; set; } = () => (true, "");

        /// <summary>Completes after the hold: true when the other views still kept the node's clients at that moment.</summary>
        public TaskCompletionSource<bool> Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Seen { get; private set; } = "";

        public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
        {
            if (invocationContext.HubMethodName == BackplaneMethods.Members
                && invocationContext.HubMethodArguments is [MemberRecord[] records]
                && records.Any(r => r.NodeId == nodeId && r.Removed)
                && Interlocked.Exchange(ref _held, 1) == 0)
            {
                await Task.Delay(hold);
                var (kept, seen) = Check();
                Seen = seen;
                Released.TrySetResult(kept);
            }

            return await next(invocationContext);
        }
    }
}
