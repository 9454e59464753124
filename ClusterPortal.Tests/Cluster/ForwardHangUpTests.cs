using System.Net;
using System.Net.Http.Headers;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// A client that hangs up during a forwarded request is no evidence against the serving node (patent Fig. 6 fails a
/// primary over only when it cannot serve): the primary is frozen (SIGSTOP) while a request for its client comes in
/// through the other node from a client with a 0.5 s timeout; after SIGCONT the primary is Up everywhere and still the
/// client's primary, with its alternate. The failure detector is slowed down (20 s) so that only the forward could
/// have blamed the primary. Before the fix the forwarding node marked the primary Down and promoted itself.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class ForwardHangUpTests
{
    [Fact]
    public async Task A_client_hanging_up_on_a_forwarded_request_does_not_fail_the_primary_over()
    {
        await using var cluster = await ProcessCluster.StartAsync(2,
            ["--Cluster:FailureTimeout=00:00:20", "--Logging:LogLevel:ClusterPortal.Api.ItemForwarder=Debug"]);
        var (primary, forwarding) = (cluster[0], cluster[1]);
        var (clientId, token) = await ClientOfAsync(cluster, primary);
        await Eventually.True(async () => (await cluster.ClientsAsync(forwarding)).TryGetValue(clientId, out var a) && a.Alternate == forwarding.NodeId,
            $"{forwarding.NodeId} knowing {clientId} with primary {primary.NodeId} and alternate {forwarding.NodeId}", 30_000, cluster.Describe);

        using var impatient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(500) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{forwarding.Url}/api/clients/{clientId}/items/hello.txt"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        primary.Freeze();
        try
        {
            await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.SendAsync(request));
            await Eventually.True(() => forwarding.Tail().Contains("the client went away", StringComparison.Ordinal),
                $"{forwarding.NodeId} ending the forward because the client went away", 30_000, cluster.Describe);
        }
        finally
        {
            primary.Thaw();
        }

        Assert.DoesNotContain($"{primary.NodeId} could not reach", forwarding.Tail(), StringComparison.Ordinal);
        await Eventually.True(async () =>
        {
            using var answer = await cluster.GetItemAsync(forwarding, clientId, token);
            return answer.StatusCode == HttpStatusCode.OK && answer.Headers.GetValues("X-Served-By").Single() == primary.NodeId;
        }, $"{primary.NodeId} serving {clientId} again through {forwarding.NodeId}", 30_000, cluster.Describe);
        foreach (var observer in cluster.Nodes)
        {
            Assert.Equal("Up", await cluster.StateAsync(observer, primary));
            Assert.Equal((primary.NodeId, (string?)forwarding.NodeId), (await cluster.ClientsAsync(observer))[clientId]);
        }
    }

    /// <summary>Announces clients until one has <paramref name="primary"/> as its primary.</summary>
    private static async Task<(string ClientId, string Token)> ClientOfAsync(ProcessCluster cluster, ProcessCluster.Node primary)
    {
        for (var i = 0; i < 20; i++)
        {
            var id = $"hang-up-{i}";
            var (assigned, token) = await cluster.AnnounceAsync(primary, id);
            if (assigned == primary.NodeId)
            {
                return (id, token);
            }
        }

        throw new InvalidOperationException($"No client was placed on {primary.NodeId} in 20 announces.");
    }
}
