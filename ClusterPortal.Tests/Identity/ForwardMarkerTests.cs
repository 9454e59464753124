using System.Net;
using System.Net.Http.Headers;
using ClusterPortal.Client.Contract;
using ClusterPortal.Tests.Cluster;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// Issue 11, case 5: a client cannot pose as a peer. The forwarded marker (<c>X-Cluster-Forwarded</c>) counts only on an
/// authenticated peer hop; set by a client it is ignored and the request is routed like any other.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class ForwardMarkerTests
{
    [Fact]
    public async Task A_client_set_marker_neither_makes_the_alternate_serve_nor_turns_a_forward_into_a_503()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        var clientId = $"poser-{Guid.NewGuid():N}";
        var (primary, token) = await cluster.AnnounceAsync(cluster[0], clientId);
        await Eventually.True(async () => (await cluster.ClientsAsync(cluster[0]))[clientId].Alternate is not null, "an alternate for the client");
        var alternate = (await cluster.ClientsAsync(cluster[0]))[clientId].Alternate!;
        var third = cluster.Nodes.Single(n => n.NodeId != primary && n.NodeId != alternate);
        await Eventually.True(async () => (await cluster.ClientsAsync(third)).ContainsKey(clientId), "the third node knows the client");

        foreach (var (via, marker) in new[] { (alternate, primary), (alternate, alternate), (third.NodeId, primary), (third.NodeId, "node-x") })
        {
            var node = cluster.Nodes.Single(n => n.NodeId == via);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.Url + $"/api/clients/{clientId}/items/hello.txt"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.TryAddWithoutValidation(ClusterHeaders.Forwarded, marker);
            using var response = await cluster.Http.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"via {via} with marker '{marker}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(primary, response.Headers.GetValues(ClusterHeaders.ServedBy).Single());
        }
    }
}
