using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterEngine.Backplane;
using ClusterEngine.Placement;
using ClusterPortal.Tests.Cluster;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// Issue 11, case 4: peer credentials are per connection and cannot be replayed; only members (or a node joining with
/// the key through <c>Hello</c>) may call the backplane; messages naming non-members are refused, nothing applied.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class PeerAuthenticationTests
{
    [Fact]
    public async Task A_captured_credential_cannot_be_replayed()
    {
        await using var cluster = await ProcessCluster.StartAsync(2);
        var captured = PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1");
        await (await PeerLink.ConnectAsync(cluster[0].Url, "node-2", captured)).DisposeAsync();

        var replay = PeerLink.Build(cluster[0].Url, "node-2", captured);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => replay.StartAsync());

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        await replay.DisposeAsync();
    }

    [Fact]
    public async Task A_non_member_with_the_key_can_neither_stream_the_assignments_nor_inject_one()
    {
        await using var cluster = await ProcessCluster.StartAsync(2);
        var (primary, _) = await cluster.AnnounceAsync(cluster[0], "victim-1");
        HubConnection intruder;
        try
        {
            intruder = await PeerLink.ConnectAsync(cluster[0].Url, "intruder-99", PeerLink.Credential(ProcessCluster.ClusterKey, "intruder-99", "node-1"));
        }
        catch (HttpRequestException)
        {
            return; // refused at the door: nothing to stream, nothing to inject
        }

        await using (intruder)
        {
            await Assert.ThrowsAnyAsync<HubException>(async () =>
            {
                await foreach (var batch in intruder.StreamAsync<AssignmentDelta[]>(BackplaneMethods.Snapshot))
                {
                    Assert.Fail($"a non-member streamed {batch.Length} assignments");
                }
            });
            var forged = new AssignmentDelta("victim-1", "intruder-99", null, new AssignmentVersion(int.MaxValue, "intruder-99"), 0, AssignmentChangeReason.Assigned);
            await Assert.ThrowsAnyAsync<HubException>(() => intruder.InvokeAsync(BackplaneMethods.AssignmentChanged, new[] { forged }));
        }

        Assert.Equal(primary, await PrimaryOfAsync(cluster, "victim-1"));
    }

    [Fact]
    public async Task A_member_cannot_apply_an_assignment_naming_a_non_member()
    {
        await using var cluster = await ProcessCluster.StartAsync(2);
        var (primary, _) = await cluster.AnnounceAsync(cluster[0], "victim-2");
        await using var member = await PeerLink.ConnectAsync(cluster[0].Url, "node-2", PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1"));

        var forged = new AssignmentDelta("victim-2", "ghost-9", "ghost-8", new AssignmentVersion(int.MaxValue, "node-2"), 0, AssignmentChangeReason.Assigned);
        await member.InvokeAsync(BackplaneMethods.AssignmentChanged, new[] { forged });

        Assert.Equal(primary, await PrimaryOfAsync(cluster, "victim-2"));
        var nodes = await cluster.StatesAsync(cluster[0]);
        Assert.DoesNotContain("ghost-9", nodes.Keys);
    }

    private static async Task<string> PrimaryOfAsync(ProcessCluster cluster, string clientId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster[0].Url + $"/api/clients/{clientId}"));
        request.Headers.Add("X-Admin-Key", ProcessCluster.AdminKey);
        using var response = await cluster.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("primary").GetProperty("nodeId").GetString()!;
    }
}
