using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterPortal.Tests.Cluster;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// Issue 11, case 1: operator input cannot take the cluster down. Capacity is bounded (400 naming <c>capacity</c>, refused
/// at start naming <c>Cluster:Capacity</c>), totals are 64-bit, a stored or gossiped bad value cannot prevent a start or
/// stop a peer, and a bad enum value from the environment or appsettings exits 2 naming its key.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class OperatorInputTests
{
    [Fact]
    public async Task A_capacity_above_the_maximum_is_a_400_naming_capacity_and_every_node_keeps_sampling()
    {
        await using var cluster = await ProcessCluster.StartAsync(3);
        using var admin = AdminHttp();
        await using var feeds = await StatusFeeds.OpenAsync(cluster);

        var patch = await admin.PatchAsJsonAsync(new Uri(cluster[0].Url + "/api/nodes/node-1"), new { capacity = int.MaxValue });
        var add = await admin.PostAsJsonAsync(new Uri(cluster[0].Url + "/api/nodes"), new { url = "http://127.0.0.1:1", capacity = 10_000_001 });

        await AssertFieldProblemAsync(patch, "capacity");
        await AssertFieldProblemAsync(add, "capacity");

        // The documented maximum is accepted; two nodes at it, every node's sampler and /api/cluster keep running.
        foreach (var id in new[] { "node-1", "node-2" })
        {
            var ok = await admin.PatchAsJsonAsync(new Uri(cluster[0].Url + $"/api/nodes/{id}"), new { capacity = 10_000_000 });
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        await feeds.WaitForTotalCapacityAsync(10_000_000L * 2 + 10_000, samples: 2, cluster.Describe);
        Assert.All(cluster.Nodes, n => Assert.True(n.IsRunning, $"{n.NodeId} stopped:\n{n.Tail()}"));
    }

    [Fact]
    public async Task A_capacity_above_the_maximum_on_the_command_line_stops_the_node_at_start_naming_the_key()
    {
        using var dir = new TempDir();
        var (code, output) = await PortalProcess.RunAsync(dir.Path, 120, "node", "--Cluster:NodeId=big", "--urls=http://127.0.0.1:0",
            "--Cluster:Key=process-cluster-key-0123456789", "--Portal:AdminKey=process-cluster-admin-0123456789",
            $"--Cluster:DataDirectory={Path.Combine(dir.Path, "data")}", "--Cluster:Capacity=2147483647");

        Assert.Equal(2, code);
        Assert.Contains("Cluster:Capacity", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_capacity_out_of_range_does_not_prevent_a_start()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster[0];
        await node.TerminateAsync();
        using (var db = new SqliteConnection($"Data Source={Path.Combine(node.DataDirectory, "node.db")};Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText =
                """
                UPDATE Members SET Capacity = 2147483647 WHERE NodeId = 'node-1';
                INSERT INTO Members (NodeId, Url, Name, Capacity, "Order", Mode, Removed, Version, VersionNodeId)
                    VALUES ('node-8', 'http://127.0.0.1:1', 'node-8', 2147483647, 8, 0, 1, 1, 'node-1'),
                           ('node-9', 'http://127.0.0.1:2', 'node-9', -5, 9, 7, 1, 1, 'node-1');
                """;
            command.ExecuteNonQuery();
        }

        node.Start();
        await node.WaitReadyAsync();
        await using var feeds = await StatusFeeds.OpenAsync(cluster);

        var view = await cluster.Http.GetFromJsonAsync<JsonElement>(new Uri(node.Url + "/api/cluster"));
        var capacities = view.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("nodeId").GetString()!, n => n.GetProperty("capacity").GetInt32());
        Assert.Equal(10_000_000, capacities["node-1"]);
        Assert.Equal(10_000_000, capacities["node-8"]);
        Assert.Equal(1, capacities["node-9"]);
        await feeds.WaitForTotalCapacityAsync(20_000_001, samples: 2, cluster.Describe);
        Assert.True(node.IsRunning, node.Tail());
    }

    [Fact]
    public async Task A_gossiped_capacity_out_of_range_is_clamped_and_the_receiver_keeps_running()
    {
        await using var cluster = await ProcessCluster.StartAsync(2);
        await using var feeds = await StatusFeeds.OpenAsync(cluster);
        var incarnation = await PeerLink.IncarnationAsync(cluster.Http, cluster[0].Url, "node-2");
        var hub = await PeerLink.ConnectAsync(cluster[0].Url, "node-2", PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1", incarnation));
        await using (hub)
        {
            var newer = ClusterEngine.HybridClock.Floor(DateTimeOffset.UtcNow.AddMinutes(1)); // above the authority's stamps (docs/recovery.md, "Versions")
            var records = new[]
            {
                new MemberRecord("node-1", cluster[0].Url, "node-1", int.MaxValue, 0, NodeMode.Active, false, newer, "node-2"),
                new MemberRecord("node-2", cluster[1].Url, "node-2", int.MaxValue, 1, NodeMode.Active, false, newer, "node-2"),
            };
            await hub.InvokeAsync(BackplaneMethods.Members, records);
        }

        await feeds.WaitForTotalCapacityAsync(20_000_000, samples: 2, cluster.Describe);
        Assert.All(cluster.Nodes, n => Assert.True(n.IsRunning, $"{n.NodeId} stopped:\n{n.Tail()}"));
    }

    [Theory]
    [InlineData("Mirror__SyncPolicy", "Bogus", "Mirror:SyncPolicy")]
    [InlineData("Persistence__Provider", "Postgres", "Persistence:Provider")]
    [InlineData("Cluster__Capacity", "lots", "Cluster:Capacity")]
    public async Task A_bad_value_from_the_environment_exits_2_naming_the_key(string variable, string value, string key)
    {
        using var dir = new TempDir();
        var environment = new Dictionary<string, string> { [variable] = value };
        var (code, output) = await PortalProcess.RunAsync(dir.Path, environment, 120, "node", "--Cluster:NodeId=bad-env", "--urls=http://127.0.0.1:0",
            "--Cluster:Key=process-cluster-key-0123456789", "--Portal:AdminKey=process-cluster-admin-0123456789",
            $"--Cluster:DataDirectory={Path.Combine(dir.Path, "data")}");

        Assert.Equal(2, code);
        Assert.Contains(key, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_enum_value_in_appsettings_exits_2_naming_the_key()
    {
        using var dir = new TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "appsettings.json"), """{"Portal":{"AnonymousView":"Sometimes"}}""");
        var (code, output) = await PortalProcess.RunAsync(dir.Path, 120, "node", "--Cluster:NodeId=bad-json", "--urls=http://127.0.0.1:0",
            "--Cluster:Key=process-cluster-key-0123456789", "--Portal:AdminKey=process-cluster-admin-0123456789",
            $"--Cluster:DataDirectory={Path.Combine(dir.Path, "data")}", $"--contentRoot={dir.Path}");

        Assert.Equal(2, code);
        Assert.Contains("Portal:AnonymousView", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static HttpClient AdminHttp()
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Admin-Key", ProcessCluster.AdminKey);
        return http;
    }

    private static async Task AssertFieldProblemAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400 naming {field}, got {(int)response.StatusCode}: {body}");
        using var doc = JsonDocument.Parse(body);
        Assert.True(doc.RootElement.GetProperty("errors").TryGetProperty(field, out _), body);
    }

    /// <summary>The <c>status</c> messages of every node's <c>/hubs/feed</c> (one per dashboard sample: proof the sampler ran).</summary>
    private sealed class StatusFeeds : IAsyncDisposable
    {
        private readonly List<HubConnection> _hubs = [];
        private readonly ConcurrentDictionary<string, ConcurrentQueue<long>> _totals = new(StringComparer.Ordinal);

        public static async Task<StatusFeeds> OpenAsync(ProcessCluster cluster)
        {
            var feeds = new StatusFeeds();
            foreach (var node in cluster.Nodes.Where(n => n.IsRunning))
            {
                var queue = feeds._totals.GetOrAdd(node.NodeId, _ => new ConcurrentQueue<long>());
                var hub = new HubConnectionBuilder().WithUrl(node.Url + "/hubs/feed").Build();
                hub.On<JsonElement>("status", status => queue.Enqueue(status.GetProperty("totals").GetProperty("capacity").GetInt64()));
                await hub.StartAsync();
                feeds._hubs.Add(hub);
            }

            return feeds;
        }

        /// <summary>Waits until every node pushed <paramref name="samples"/> status messages whose total capacity is <paramref name="total"/>.</summary>
        public Task WaitForTotalCapacityAsync(long total, int samples, Func<string> describe) => Eventually.True(
            () => _totals.Values.All(q => q.Count(t => t == total) >= samples),
            $"{samples} dashboard samples with total capacity {total} from every node",
            60_000,
            () => string.Join("\n", _totals.Select(kv => $"{kv.Key}: {string.Join(",", kv.Value.TakeLast(5))}")) + "\n" + describe());

        public async ValueTask DisposeAsync()
        {
            foreach (var hub in _hubs)
            {
                await hub.DisposeAsync();
            }
        }
    }
}
