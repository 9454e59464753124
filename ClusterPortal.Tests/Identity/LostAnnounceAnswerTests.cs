using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClusterPortal.Client;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// A lost announce answer (docs/identity.md): a node registered a new id, its 201 never reached the device, and the
/// device's retry — at that node or another — used to be a 401 ("the id exists, show your token"), locking the device out
/// of the id it had just registered. With the retry key it sent, the retry gets the token, at every node of the cluster.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class LostAnnounceAnswerTests
{
    [Fact]
    public async Task The_sdk_whose_first_announce_answer_is_lost_logs_on_at_the_next_node_with_its_retry_key()
    {
        await using var cluster = await InProcessCluster.StartAsync(50, 50, 50);
        var losing = new LoseFirstAnnounceAnswer();
        var options = new ClusterClientOptions { ClientId = "lost-sdk-1", RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero };
        options.SharedAddress.Add(new Uri(cluster[0].BaseUrl));
        options.SharedAddress.Add(new Uri(cluster[1].BaseUrl));
        await using var client = new ClusterClient(options, losing);

        var session = await client.LogOnAsync(); // a ClusterClientException (401) before the retry key
        var item = await client.GetItemAsync("text/welcome.txt");

        Assert.Equal(HttpStatusCode.Created, losing.Lost); // node-1 did register the id: its answer is what was lost
        Assert.Equal("lost-sdk-1", session.ClientId);
        Assert.NotNull(item);
        Assert.Equal(1, cluster.StateOf(0).Assignments().Count(a => a.ClientId == "lost-sdk-1"));
    }

    [Fact]
    public async Task A_retry_with_the_key_is_answered_201_at_every_node_and_its_tokens_work_there()
    {
        var logs = new CapturingLoggerProvider();
        await using var cluster = new InProcessCluster();
        for (var i = 0; i < 3; i++)
        {
            cluster.Add(50, new() { ["Logging:LogLevel:ClusterPortal.Api.SessionsApi"] = "Information" }, configure: web => web.ConfigureLogging(l => l.AddProvider(logs)));
        }

        await cluster.WaitAllUpAsync();
        const string key = "retry-key-of-lost-http-0123456789";
        using var first = await cluster[0].Client().PostAsJsonAsync("/api/sessions", new { clientId = "lost-http-1", retryKey = key });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await cluster.WaitConvergedAsync();

        for (var at = 0; at < 3; at++)
        {
            var http = cluster[at].Client();
            using var retry = await http.PostAsJsonAsync("/api/sessions", new { clientId = "lost-http-1", retryKey = key });
            Assert.True(retry.StatusCode == HttpStatusCode.Created, $"retry at {cluster[at].NodeId}: {(int)retry.StatusCode} {await retry.Content.ReadAsStringAsync()}");
            var session = (await retry.Content.ReadFromJsonAsync<SessionBody>())!;

            using var get = new HttpRequestMessage(HttpMethod.Get, "/api/clients/lost-http-1/items/text/welcome.txt");
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
            using var answer = await http.SendAsync(get);
            Assert.True(answer.IsSuccessStatusCode, $"item with the token from {cluster[at].NodeId}: {(int)answer.StatusCode}");

            using var stranger = await http.PostAsJsonAsync("/api/sessions", new { clientId = "lost-http-1", retryKey = "not-the-key-0123456789" });
            Assert.Equal(HttpStatusCode.Unauthorized, stranger.StatusCode);
        }

        // Each recovery is an information line an operator can count (event 4020); the refused strangers are not.
        Assert.Equal(3, logs.Entries.Count(e => e.Message.StartsWith("Client lost-http-1 repeated its announce with the retry key", StringComparison.Ordinal)));
    }

    /// <summary>Sends the first announce to the node and then drops its answer, as a link that fails after the request went out.</summary>
    private sealed class LoseFirstAnnounceAnswer() : DelegatingHandler(new SocketsHttpHandler { UseProxy = false })
    {
        public HttpStatusCode? Lost { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (Lost is null && request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath == "/api/sessions")
            {
                Lost = response.StatusCode;
                response.Dispose();
                throw new HttpRequestException("The connection was reset after the request was sent (test: the answer is lost).");
            }

            return response;
        }
    }
}
