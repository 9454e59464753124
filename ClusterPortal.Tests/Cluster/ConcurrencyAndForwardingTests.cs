using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>Exactly one primary under concurrent first contact; the shared address forwards to the primary (docs/architecture.md §5, §7).</summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class ConcurrencyAndForwardingTests
{
    [Fact]
    public async Task Concurrent_first_contact_of_50_clients_at_3_nodes_ends_with_one_primary_each_on_every_view()
    {
        await using var cluster = await InProcessCluster.StartAsync(1000, 1000, 1000);
        var clients = Enumerable.Range(0, 3).Select(i => cluster[i].Client()).ToArray();

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).SelectMany(c => clients.Select(async http =>
        {
            using var response = await http.PostAsJsonAsync("/api/sessions", new { clientId = $"race-{c:D2}" });
            return (Client: c, Status: response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })));

        // Another announce of the same new id under way is a 409 (the id is claimed once cluster-wide, docs/identity.md).
        var expected = new[] { HttpStatusCode.Created, HttpStatusCode.Unauthorized, HttpStatusCode.Conflict };
        Assert.True(answers.All(a => expected.Contains(a.Status)),
            "unexpected answers: " + string.Join("; ", answers.Where(a => !expected.Contains(a.Status)).Take(5).Select(a => $"race-{a.Client:D2} {(int)a.Status} {a.Body}")));
        Assert.All(answers.GroupBy(a => a.Client), g => Assert.Single(g, a => a.Status == HttpStatusCode.Created));
        await cluster.WaitConvergedAsync();
        for (var v = 0; v < 3; v++)
        {
            var view = cluster.StateOf(v);
            Assert.Equal(50, view.ClientCount);
            Assert.Equal(50, view.Nodes.Sum(n => n.PrimaryCount));
            Assert.Equal(50, view.Nodes.Sum(n => n.AlternateCount));
            Assert.All(view.Assignments(), a => Assert.NotEqual(a.Primary, a.Alternate));
        }
    }

    [Fact]
    public async Task Any_node_forwards_to_the_primary_and_conditional_answers_survive_the_hop()
    {
        await using var cluster = await InProcessCluster.StartAsync(1000, 1000, 1000);
        var (_, session) = await cluster.Announce(0, "forwarded-1");
        await cluster.WaitConvergedAsync();
        var other = Enumerable.Range(0, 3).First(i => cluster[i].NodeId != session.Primary.NodeId);
        var http = cluster[other].Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);

        var first = await http.GetAsync("/api/clients/forwarded-1/items/hello.txt");
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/clients/forwarded-1/items/hello.txt");
        request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse("\"0000000000000000\""));
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var second = await http.SendAsync(request);
        var traversal = await http.GetAsync("/api/clients/forwarded-1/items/a%2F..%2F..%2Fsecret");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(session.Primary.NodeId, first.Headers.GetValues("X-Served-By").Single());
        Assert.Equal("\"81b69dda2f09a3e5\"", first.Headers.ETag!.Tag);
        Assert.Equal("hello", await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(session.Primary.NodeId, second.Headers.GetValues("X-Served-By").Single());
        Assert.Equal(HttpStatusCode.BadRequest, traversal.StatusCode);

        // A Host the first hop accepts is not sent on to the primary (it answered an empty 400 to YARP's copy of it).
        var strangeHost = await RawHttp.SendAsync(http.BaseAddress!, "GET", "/api/clients/forwarded-1/items/hello.txt",
            "Host: evil.example:99999", "Authorization: Bearer " + session.Token);
        Assert.Equal(200, strangeHost.Status);
        Assert.Contains("X-Served-By: " + session.Primary.NodeId, strangeHost.Head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Graceful_leave_hands_clients_to_their_alternates_without_a_failed_request()
    {
        await using var cluster = await InProcessCluster.StartAsync(1000, 1000, 1000);
        var sessions = new List<SessionBody>();
        for (var i = 0; i < 12; i++)
        {
            sessions.Add((await cluster.Announce(0, $"leave-{i:D2}")).Session);
        }

        await cluster.WaitConvergedAsync();
        var leaving = cluster[1];
        var theirs = sessions.Where(s => s.Primary.NodeId == leaving.NodeId).ToList();
        Assert.NotEmpty(theirs);

        await leaving.DisposeAsync();

        await Eventually.True(() => new[] { 0, 2 }.All(v => cluster.StateOf(v).Assignments(a => a.Primary == leaving.NodeId).Count == 0),
            "no client has the leaver as primary");
        await cluster.WaitConvergedAsync([0, 2]);
        var http = cluster[0].Client();
        foreach (var s in theirs)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/clients/{s.ClientId}/items/hello.txt");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", s.Token);
            var answer = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.NotEqual(leaving.NodeId, answer.Headers.GetValues("X-Served-By").Single());
        }
    }
}
