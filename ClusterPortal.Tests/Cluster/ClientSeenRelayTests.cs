using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClusterEngine.Placement;
using ClusterPortal.Tests.Support;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// Last-seen times reach the nodes that inherit a client's idle expiry (docs/architecture.md §5, "Idle clients"): the
/// primary's requests reach the alternate (a failover hands it the expiry), and a session renewed at a third node reaches
/// the primary — over real SignalR connections between three in-process nodes.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClientSeenRelayTests
{
    [Fact]
    public async Task The_alternate_learns_the_primarys_requests_and_the_primary_a_session_renewed_elsewhere()
    {
        await using var cluster = new InProcessCluster();
        for (var i = 0; i < 3; i++)
        {
            cluster.Add(50, new() { ["Cluster:ClientIdleTimeout"] = "00:00:20" }); // relayed every 2 s, seen to the second
        }

        await cluster.WaitAllUpAsync();
        var (_, session) = await cluster.Announce(0, "seen-1");
        await cluster.WaitConvergedAsync();
        var primary = Index(cluster, session.Primary.NodeId);
        var alternate = Index(cluster, session.Alternate!.NodeId);
        var third = 3 - primary - alternate;
        var placed = LastSeen(cluster, alternate);

        // Requests at the primary only: the alternate routes none of them, so only the primary's notes can move its time.
        var http = cluster[primary].Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        await Eventually.True(async () =>
        {
            using var answer = await http.GetAsync(ItemPath("seen-1", "text/welcome.txt"));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            return LastSeen(cluster, alternate) > placed;
        }, $"the alternate {session.Alternate.NodeId} to learn that the primary saw seen-1 after {placed:O}");

        // A renewal at the third node (no item request anywhere): the primary's time moves, from the third node's note.
        var atPrimary = LastSeen(cluster, primary);
        var renewing = cluster[third].Client();
        await Eventually.True(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { clientId = "seen-1" }) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
            using var renewed = await renewing.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
            return LastSeen(cluster, primary) > atPrimary;
        }, $"the primary {session.Primary.NodeId} to learn of seen-1's session renewed at {cluster[third].NodeId} after {atPrimary:O}");
    }

    private static int Index(InProcessCluster cluster, string nodeId) => cluster.Nodes.ToList().FindIndex(n => n.NodeId == nodeId);

    private static DateTimeOffset LastSeen(InProcessCluster cluster, int at) =>
        cluster.StateOf(at).QueryClients(new ClientQuery(0, 1, Search: "seen-1")).Rows.Single().LastSeen
        ?? throw new InvalidOperationException($"{cluster[at].NodeId} has no last-seen time for seen-1");
}
