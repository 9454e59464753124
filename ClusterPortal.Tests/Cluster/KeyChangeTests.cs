using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterPortal.Tests.Support;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// Changing <c>Cluster:Key</c> without stopping the cluster and without locking a device out of its id (docs/identity.md,
/// "Changing the cluster key"): three node processes restart one at a time, first accepting the next key
/// (<c>Cluster:AcceptedKeys</c>), then making their credentials and tokens with it while accepting the old one; peers on
/// either setting admit each other, forward to each other, and every device's token of the old key keeps opening its items
/// on every node (a 401 is never seen). Each device then logs on again with its old token and gets one of the new key;
/// after the last step (the old key no longer accepted) those work and the old ones are refused. Before
/// <c>Cluster:AcceptedKeys</c> a key change meant stopping every node, and every device's id was lost to it: its token no
/// longer verified, and the id answered "exists, show your token".
/// </summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class KeyChangeTests(ITestOutputHelper output)
{
    private const string Next = "the-next-process-cluster-key-0123";
    private const int Devices = 9;

    [Fact]
    public async Task The_cluster_changes_its_key_one_node_at_a_time_and_no_device_loses_its_id()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        var devices = await cluster.AnnounceManyAsync("key-change", Devices);
        await cluster.WaitViewsAgreeAsync(Devices);
        string[][] steps =
        [
            [$"--Cluster:AcceptedKeys:0={Next}"], // 1: accept the next key, still make the old one's
            [$"--Cluster:Key={Next}", $"--Cluster:AcceptedKeys:0={ProcessCluster.ClusterKey}"], // 2: make the next key's, accept the old
        ];
        for (var step = 0; step < steps.Length; step++)
        {
            foreach (var node in cluster.Nodes)
            {
                await RestartAsync(cluster, node, steps[step]);
                await ServedEverywhereAsync(cluster, devices, $"step {step + 1}, {node.NodeId} restarted");
            }
        }

        // Every node makes tokens of the next key now: a device logging on again with its old token gets one.
        var renewed = new List<(string ClientId, string Token)>();
        for (var i = 0; i < devices.Count; i++)
        {
            var (clientId, oldToken) = devices[i];
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster[i % 3].Url + "/api/sessions")) { Content = JsonContent.Create(new { clientId }) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", oldToken);
            using var response = await cluster.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{clientId} logging on again with its token of the old key: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            renewed.Add((clientId, body.RootElement.GetProperty("token").GetString()!));
        }

        // 3: the old key is no longer accepted.
        foreach (var node in cluster.Nodes)
        {
            await RestartAsync(cluster, node, [$"--Cluster:Key={Next}"]);
        }

        await ServedEverywhereAsync(cluster, renewed, "step 3 (the next key only), the tokens renewed in step 2");
        using var old = await cluster.GetItemAsync(cluster[0], devices[0].ClientId, devices[0].Token);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    private async Task RestartAsync(ProcessCluster cluster, ProcessCluster.Node node, string[] settings)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await node.TerminateAsync();
        node.Start(settings);
        await node.WaitReadyAsync();
        await cluster.WaitAllUpAsync(60_000); // peers on the old and the new setting admit each other
        output.WriteLine($"{node.NodeId} restarted with {string.Join(' ', settings.Select(s => s[..s.IndexOf('=', StringComparison.Ordinal)]))}: Up everywhere after {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// Every device's item answers 200 at every node (through a forward where the node is not its primary). A 503 while
    /// the cluster settles after a restart is retried, as a device does; a 401 or 403 fails at once.
    /// </summary>
    private static async Task ServedEverywhereAsync(ProcessCluster cluster, List<(string ClientId, string Token)> devices, string when)
    {
        foreach (var (clientId, token) in devices)
        {
            foreach (var node in cluster.Nodes)
            {
                await Eventually.True(async () =>
                {
                    using var answer = await cluster.GetItemAsync(node, clientId, token);
                    Assert.False(answer.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden,
                        $"{when}: {clientId} at {node.NodeId} answered {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
                    return answer.StatusCode == HttpStatusCode.OK;
                }, $"{when}: {clientId} served at {node.NodeId}", 30_000, cluster.Describe);
            }
        }
    }
}
