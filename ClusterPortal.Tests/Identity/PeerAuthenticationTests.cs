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
    public async Task A_captured_credential_cannot_be_replayed_and_stale_foreign_or_constant_credentials_are_refused()
    {
        await using var cluster = await ProcessCluster.StartAsync(2);
        var incarnation = await PeerLink.IncarnationAsync(cluster.Http, cluster[0].Url, "node-2");
        var captured = PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1", incarnation);
        await (await PeerLink.ConnectAsync(cluster[0].Url, "node-2", captured)).DisposeAsync();

        var refused = new Dictionary<string, string>
        {
            ["replayed"] = captured,
            ["for another node"] = PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-2", incarnation),
            ["10 minutes old"] = PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1", incarnation, new PeerLink.ShiftedTime(TimeSpan.FromMinutes(-10))),
            ["10 minutes ahead"] = PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1", incarnation, new PeerLink.ShiftedTime(TimeSpan.FromMinutes(10))),
            ["another cluster's key"] = PeerLink.Credential("another-cluster-key-0123456789", "node-2", "node-1", incarnation),
            ["the old constant HMAC of the node id"] = OldConstantCredential("node-2"),
        };
        foreach (var (what, credential) in refused)
        {
            var hub = PeerLink.Build(cluster[0].Url, "node-2", credential);
            var error = await Assert.ThrowsAnyAsync<Exception>(() => hub.StartAsync()); // the WebSocket upgrade is answered 401
            Assert.True(error.Message.Contains("401", StringComparison.Ordinal), $"{what}: {error.Message}");
            await hub.DisposeAsync();
        }

        Assert.All(cluster.Nodes, n => Assert.True(n.IsRunning, n.Tail()));
    }

    [Fact]
    public async Task A_join_credential_may_say_Hello_and_nothing_else()
    {
        await using var cluster = await ProcessCluster.StartAsync(2);
        var incarnation = await PeerLink.IncarnationAsync(cluster.Http, cluster[0].Url, "node-2");
        await using var hub = await PeerLink.ConnectAsync(cluster[0].Url, "node-2", PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", null, incarnation));

        await Assert.ThrowsAnyAsync<HubException>(async () =>
        {
            await foreach (var batch in hub.StreamAsync<AssignmentDelta[]>(BackplaneMethods.Snapshot))
            {
                Assert.Fail($"a join credential streamed {batch.Length} assignments");
            }
        });
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAnyAsync<HubException>(() => hub.InvokeAsync(BackplaneMethods.AssignmentChanged, Array.Empty<AssignmentDelta>()));
        }

        var self = new ClusterEngine.Membership.MemberRecord("node-2", cluster[1].Url, "node-2", 10_000, 1, ClusterEngine.Membership.NodeMode.Active, false, 0, "node-2");
        var reply = await hub.InvokeAsync<HelloReply>(BackplaneMethods.Hello, new HelloRequest(self, incarnation, Join: false));
        Assert.Equal("node-1", reply.NodeId);

        // Refusals are the guard's rate-limited warning, not one SignalR Error line per refused call (docs/identity.md,
        // "Who may call what"): a restarted member's calls are refused like this until it is admitted.
        var log = cluster[0].Tail();
        Assert.Contains("a join credential is good for Hello only", log, StringComparison.Ordinal);
        var errors = log.Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"node-1 logged {errors.Count} error(s) for refused calls:\n{string.Join("\n", errors.Take(5))}");
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
        catch (Exception ex) when (ex is HttpRequestException or System.Net.WebSockets.WebSocketException)
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
        var incarnation = await PeerLink.IncarnationAsync(cluster.Http, cluster[0].Url, "node-2");
        await using var member = await PeerLink.ConnectAsync(cluster[0].Url, "node-2", PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1", incarnation));

        var forged = new AssignmentDelta("victim-2", "ghost-9", "ghost-8", new AssignmentVersion(int.MaxValue, "node-2"), 0, AssignmentChangeReason.Assigned);
        await member.InvokeAsync(BackplaneMethods.AssignmentChanged, new[] { forged });

        Assert.Equal(primary, await PrimaryOfAsync(cluster, "victim-2"));
        var nodes = await cluster.StatesAsync(cluster[0]);
        Assert.DoesNotContain("ghost-9", nodes.Keys);
    }

    /// <summary>The credential before issue 11: HMAC-SHA256 of the node id alone, under the v1 backplane key.</summary>
    private static string OldConstantCredential(string nodeId)
    {
        var key = System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256,
            System.Text.Encoding.UTF8.GetBytes(ProcessCluster.ClusterKey), 32, info: "ClusterPortal backplane v1"u8.ToArray());
        return System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes(nodeId)));
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
