using System.Net;
using System.Net.Http.Json;
using ClusterEngine;
using ClusterPortal.Tests.Identity;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// The registration stamp travels with the assignment to every node (docs/architecture.md §5): a token issued at one node
/// for an earlier registration of a client id is refused at another once the id has been registered again.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ReusedClientIdAcrossNodesTests : IDisposable
{
    private readonly TestOrigin _origin = new();

    public void Dispose() => _origin.Dispose();

    [Fact]
    public async Task A_token_issued_at_one_node_is_refused_at_the_other_after_the_id_was_registered_again()
    {
        var clock = new ShiftedClock();
        var idle = TimeSpan.FromHours(1);
        await using var cluster = new InProcessCluster();
        for (var i = 0; i < 2; i++)
        {
            cluster.Add(100, _origin.Settings(new() { ["Cluster:ClientIdleTimeout"] = "01:00:00" }), clock: clock);
        }

        await cluster.WaitAllUpAsync();
        const string id = "reused-across";
        var (_, first) = await cluster.Announce(0, id);
        var registration = cluster.StateOf(0).RegistrationOf(id);
        Assert.True(registration > 0);
        await Eventually.True(() => cluster.StateOf(1).RegistrationOf(id) == registration, "node-2 to learn the registration");

        // Unseen past the idle timeout: its primary removes it, and both views learn the removal.
        clock.Advance(idle * 2);
        var primary = cluster.Nodes.Single(n => n.NodeId == first.Primary.NodeId);
        primary.Services.GetRequiredService<ClusterNode>().ExpireIdle(idle); // the background expiry may have been first
        await Eventually.True(() => cluster.StateOf(0).GetAssignment(id) is null && cluster.StateOf(1).GetAssignment(id) is null,
            "both views to hold the removal");

        // Another device announces the id at node-1: a new registration, which reaches node-2 in the delta.
        var (_, second) = await cluster.Announce(0, id);
        var reregistered = cluster.StateOf(0).RegistrationOf(id);
        Assert.True(reregistered > registration);
        await Eventually.True(() => cluster.StateOf(1).RegistrationOf(id) == reregistered, "node-2 to learn the new registration");

        using var atSecond = cluster[1].Client();
        using (var request = new HttpRequestMessage(HttpMethod.Get, ItemPath(id, "hello.txt")))
        {
            request.Headers.Authorization = Bearer(first.Token);
            using var refused = await atSecond.SendAsync(request);
            await ReusedClientIdTests.AssertSuperseded(refused, id);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { clientId = id }) })
        {
            request.Headers.Authorization = Bearer(first.Token);
            using var refused = await atSecond.SendAsync(request);
            await ReusedClientIdTests.AssertSuperseded(refused, id);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, ItemPath(id, "hello.txt")))
        {
            request.Headers.Authorization = Bearer(second.Token);
            using var served = await atSecond.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
    }
}
