using System.Net;
using System.Net.Http.Json;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// A 201 to an announce is a promise: the device keeps its token and never announces again, so the registration must
/// survive a crash of the node that answered. On a node alone no peer holds it, and the node's store is written in
/// batches behind its memory (docs/persistence.md, "What an answer promises"): before the fix a <c>kill -9</c> within
/// <c>Persistence:MaxDelay</c> of the answer lost the client, and its token was refused after the restart.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class AnnounceDurabilityTests
{
    [Fact]
    public async Task Clients_answered_201_by_a_node_alone_are_still_registered_after_it_is_killed_at_once_and_restarted()
    {
        // A long batch delay makes the window certain instead of 100 ms wide: without the wait for the commit every one of
        // these answers came before its row was written.
        await using var cluster = await ProcessCluster.StartAsync(1, ["--Persistence:MaxDelay=00:00:10"]);
        var node = cluster[0];
        var announced = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            var id = $"durable-{i:D2}";
            using var response = await cluster.Http.PostAsJsonAsync(new Uri(node.Url + "/api/sessions"), new { clientId = id });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var session = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            return (Id: id, Token: session.GetProperty("token").GetString()!);
        }));

        node.Kill();
        node.Start();
        await node.WaitReadyAsync();

        foreach (var (id, token) in announced)
        {
            using var item = await cluster.GetItemAsync(node, id, token);
            Assert.True(item.StatusCode == HttpStatusCode.OK,
                $"{id} after the restart: {(int)item.StatusCode} {await item.Content.ReadAsStringAsync()}\n{cluster.Describe()}");
        }

        // Its announce with the token is a renewal of the stored registration (200), not a new one.
        using var renew = new HttpRequestMessage(HttpMethod.Post, new Uri(node.Url + "/api/sessions")) { Content = JsonContent.Create(new { clientId = announced[0].Id }) };
        renew.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", announced[0].Token);
        using var renewed = await cluster.Http.SendAsync(renew);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
    }

    [Fact]
    public async Task A_device_whose_201_was_lost_in_the_crash_of_a_node_alone_recovers_it_with_its_retry_key_after_the_restart()
    {
        // docs/identity.md, "A lost announce answer": the retry tags a claim holder keeps are stored with its assignments.
        // Before, a restarted holder had forgotten them, and a node alone is its ids' only holder: the repeat was a 401.
        await using var cluster = await ProcessCluster.StartAsync(1, ["--Persistence:MaxDelay=00:00:10"]);
        var node = cluster[0];
        var announced = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var (id, key) = ($"lost-answer-{i:D2}", $"retry-key-{i:D2}-{Guid.NewGuid():N}");
            using var response = await cluster.Http.PostAsJsonAsync(new Uri(node.Url + "/api/sessions"), new { clientId = id, retryKey = key });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode); // the answer the device is taken never to have received
            return (Id: id, Key: key);
        }));

        node.Kill();
        node.Start();
        await node.WaitReadyAsync();

        using (var other = await cluster.Http.PostAsJsonAsync(new Uri(node.Url + "/api/sessions"),
            new { clientId = announced[1].Id, retryKey = "another-key-of-someone-else-0123" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode); // another key still opens nothing
        }

        foreach (var (id, key) in announced)
        {
            using var repeat = await cluster.Http.PostAsJsonAsync(new Uri(node.Url + "/api/sessions"), new { clientId = id, retryKey = key });
            Assert.True(repeat.StatusCode == HttpStatusCode.Created,
                $"{id}'s repeat after the restart: {(int)repeat.StatusCode} {await repeat.Content.ReadAsStringAsync()}\n{cluster.Describe()}");
            var token = (await repeat.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()!;
            using var item = await cluster.GetItemAsync(node, id, token);
            Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        }
    }
}
