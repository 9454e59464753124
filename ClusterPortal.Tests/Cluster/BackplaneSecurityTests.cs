using ClusterEngine.Backplane;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;

namespace ClusterPortal.Tests.Cluster;

/// <summary>Only peers with a credential derived from Cluster:Key get onto the backplane (docs/architecture.md §7).</summary>
[Trait("Category", "Process")]
[Trait("Category", "Cluster")]
public sealed class BackplaneSecurityTests
{
    [Theory]
    [InlineData("wrong-cluster-key-0123456789")]
    [InlineData(null)]
    public async Task A_peer_with_a_wrong_key_or_none_is_refused(string? key)
    {
        await using var cluster = await InProcessCluster.StartAsync(10);
        var hub = new HubConnectionBuilder().WithUrl($"{cluster[0].BaseUrl}/hubs/backplane", o =>
        {
            if (key is not null)
            {
                o.Headers[PeerCredentials.NodeHeader] = "intruder";
                o.Headers[PeerCredentials.AuthHeader] = new PeerCredentials(key).Create("intruder", 0, "node-1");
            }
        }).Build();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        await hub.DisposeAsync();
    }

    [Fact]
    public async Task A_node_started_with_another_cluster_key_does_not_join_and_is_not_ready()
    {
        await using var cluster = await InProcessCluster.StartAsync(10);

        // node-2 has another key; node-3, started after it with the cluster's key and the same seed, bounds the wait:
        // once node-3 is in, node-2 has had the same chance to join.
        var stranger = cluster.Add(10, new() { ["Cluster:Key"] = "another-cluster-key-0123456789" }, waitUntilReady: false);
        cluster.Add(10);
        await Eventually.True(() => cluster.StateOf(0).GetNode("node-3")?.State == ClusterEngine.Membership.NodeState.Up, "node-3 (right key) Up in node-1's view");

        Assert.Null(cluster.StateOf(0).GetNode("node-2"));
        using var http = stranger.StartedClient();
        using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }
}
