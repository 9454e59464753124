using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using ClusterPortal.Client;
using ClusterPortal.Client.Contract;
using ClusterPortal.Simulation;
using ClusterPortal.Tests.Support;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.ClientSdk;

/// <summary>
/// The client SDK against three in-process nodes sharing one file-system origin (issue 7, "Tests"): cache hits
/// become 304s, a changed item is never answered from a stale local copy, a token near expiry is renewed, and the
/// load simulator's summary adds up.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class SdkClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestOrigin _origin = new();

    public void Dispose() => _origin.Dispose();

    private async Task<InProcessCluster> StartAsync(Dictionary<string, string?>? more = null, TimeProvider? clock = null)
    {
        var cluster = new InProcessCluster();
        for (var i = 0; i < 3; i++)
        {
            cluster.Add(100, _origin.Settings(more), clock: clock);
        }

        await cluster.WaitAllUpAsync();
        return cluster;
    }

    private static ClusterClient NewClient(InProcessCluster cluster, string clientId, Action<ClusterClientOptions>? configure = null)
    {
        var options = new ClusterClientOptions { ClientId = clientId };
        foreach (var node in cluster.Nodes)
        {
            options.SharedAddress.Add(new Uri(node.BaseUrl));
        }

        configure?.Invoke(options);
        return new ClusterClient(options);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cache_hits_become_304s(bool useCacheMirror)
    {
        await using var cluster = await StartAsync();
        await using var client = NewClient(cluster, $"sdk-hits-{useCacheMirror}", o => o.UseCacheMirror = useCacheMirror);
        var session = await client.LogOnAsync();
        string[] keys = ["hello.txt", "a/b/c.txt", "weather/city-3.json"];

        foreach (var key in keys)
        {
            Assert.False((await client.GetItemAsync(key))!.FromCache);
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var key in keys)
            {
                var item = await client.GetItemAsync(key);
                Assert.True(item!.FromCache, $"{key} round {round}: expected a 304");
                Assert.Equal(session.Primary.NodeId, item.ServedBy);
            }
        }

        Assert.Equal("hello", Encoding.UTF8.GetString((await client.GetItemAsync("hello.txt"))!.Content.Span));
        var stats = client.Statistics;
        Assert.Equal((13, 10, 0), (stats.Requests, stats.NotModified, stats.Errors));
        Assert.Equal(stats.BytesReceived * 3 + 5, stats.BytesSaved);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stale_local_cache_is_never_used_after_the_item_changed(bool useCacheMirror)
    {
        await using var cluster = await StartAsync();
        await using var client = NewClient(cluster, $"sdk-stale-{useCacheMirror}", o => o.UseCacheMirror = useCacheMirror);
        var session = await client.LogOnAsync();
        var primary = cluster.Nodes.Single(n => n.NodeId == session.Primary.NodeId);
        using var admin = primary.AdminClient();
        const string key = "weather/city-1.json";

        for (var version = 1; version <= 8; version++)
        {
            // Concurrent requests for the same key keep answers arriving out of order (the mirror's hard case).
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.GetItemAsync(key)));
            var expected = $"version {version}";
            using (var put = await admin.PutAsync(new Uri($"/api/items/{key}", UriKind.Relative), new StringContent(expected)))
            {
                Assert.True(put.IsSuccessStatusCode, $"PUT: {(int)put.StatusCode}");
            }

            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.GetItemAsync(key)));
            Assert.All(answers, a => Assert.Equal(expected, Encoding.UTF8.GetString(a!.Content.Span)));
            var again = await client.GetItemAsync(key);
            Assert.Equal(expected, Encoding.UTF8.GetString(again!.Content.Span));
        }

        Assert.True(client.Statistics.NotModified > 0, "the unchanged rounds were 304s");
        Assert.Equal(0, client.Statistics.Errors);
    }

    [Fact]
    public async Task A_token_near_expiry_is_renewed_and_the_client_carries_on_past_the_first_tokens_expiry()
    {
        // The nodes and the device share a wall clock the test moves forward: no waiting for a token to age.
        var clock = new ShiftedClock();
        await using var cluster = await StartAsync(new() { ["Portal:TokenLifetime"] = "00:01:00" }, clock);
        await using var client = NewClient(cluster, "sdk-renew", o => (o.RenewWhenRemaining, o.TimeProvider) = (0.5, clock));
        var first = await client.LogOnAsync();
        Assert.Equal(0, client.Statistics.TokenRenewals);

        clock.Advance(TimeSpan.FromSeconds(35)); // less than half of the lifetime left: renewed before the next call
        await client.GetItemAsync("hello.txt");
        Assert.Equal(1, client.Statistics.TokenRenewals);
        Assert.NotEqual(first.Token, client.Session!.Token);
        Assert.True(client.Session.ExpiresAt > first.ExpiresAt);

        clock.Advance(first.ExpiresAt - clock.GetUtcNow() + TimeSpan.FromSeconds(2)); // past the first token's expiry

        // The first token is now refused, so only the renewed one can carry the next call.
        using var raw = cluster[0].Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/clients/sdk-renew/items/hello.txt", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", first.Token);
        using var refused = await raw.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.True((await client.GetItemAsync("hello.txt"))!.FromCache);
        Assert.Equal(0, client.Statistics.Errors);
    }

    [Fact]
    public async Task A_device_offline_past_its_tokens_expiry_logs_on_again_with_that_token_and_keeps_its_assignment()
    {
        // Before, the expired token was refused at the log-on too (401 "needs its current token"), so the device was locked
        // out until its id had been unseen for Cluster:ClientIdleTimeout (7 days by default) and was freed.
        var clock = new ShiftedClock();
        await using var cluster = await StartAsync(new() { ["Portal:TokenLifetime"] = "00:01:00" }, clock);
        await using var client = NewClient(cluster, "sdk-offline");
        var first = await client.LogOnAsync();
        Assert.NotNull(await client.GetItemAsync("hello.txt"));

        clock.Advance(first.ExpiresAt - clock.GetUtcNow() + TimeSpan.FromHours(1)); // an hour offline, token long expired

        using var raw = cluster[0].Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/clients/sdk-offline/items/hello.txt", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", first.Token);
        using var refused = await raw.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error_description=\"The token expired\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        var problem = await refused.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options);
        Assert.Contains("log on again with it", problem!.Detail, StringComparison.Ordinal);

        Assert.True((await client.GetItemAsync("hello.txt"))!.FromCache);
        Assert.Equal(1, client.Statistics.TokenRenewals);
        Assert.Equal(0, client.Statistics.Errors);
        Assert.True(client.Session!.ExpiresAt > clock.GetUtcNow());
        Assert.Equal(first.Primary, client.Session.Primary); // renewed, not placed anew
    }

    [Fact]
    public async Task The_simulator_runs_briefly_and_its_summary_adds_up()
    {
        await using var cluster = await StartAsync();
        var options = new SimulationOptions
        {
            Clients = 6,
            Duration = TimeSpan.FromSeconds(4),
            AdminKey = PortalFactory.AdminKey,
            Items = 20,
            ItemBytes = 200,
            ChangeShare = 0.5,
            LogOffChance = 0.05,
            ThinkTime = TimeSpan.FromMilliseconds(20),
            ProgressInterval = TimeSpan.FromMilliseconds(100),
        };
        foreach (var node in cluster.Nodes)
        {
            options.Target.Add(new Uri(node.BaseUrl));
        }

        var snapshots = new List<SimulationSnapshot>();
        var simulator = new LoadSimulator(options);
        var summary = await simulator.RunAsync(new Collect(snapshots));
        output.WriteLine(summary.Summary());

        Assert.True(summary.Finished);
        Assert.Same(summary, snapshots[^1]);
        Assert.True(snapshots.Count >= 5, $"{snapshots.Count} progress reports");
        Assert.True(snapshots.Zip(snapshots.Skip(1)).All(p => p.Second.Requests >= p.First.Requests), "requests never go down");
        Assert.Equal(0, summary.Errors);
        // 10 changes are due in the 4 s; on a loaded machine the last ones miss the end (7 in a CI run): at least one
        // happened and none beyond the plan. Each left its version at the origin.
        Assert.InRange(summary.ItemsChanged, 1, 10);
        var changedAtOrigin = simulator.Keys.Count(k => !File.ReadLines(Path.Combine(_origin.Root, k)).First().EndsWith(" version 0", StringComparison.Ordinal));
        Assert.InRange(changedAtOrigin, 1, summary.ItemsChanged);
        Assert.True(summary.LogOffs > 0, "some devices logged off and returned");
        Assert.True(summary.Requests > 50, $"{summary.Requests} requests");
        Assert.InRange(summary.NotModified, 1, summary.Requests - 1);

        // Every answered request carried or saved one item of 100–299 bytes (ItemBytes/2 + 0..ItemBytes-1), whole or as a delta.
        var itemBytes = summary.BytesSent + summary.BytesSaved + summary.BytesSavedByDeltas;
        Assert.InRange(itemBytes, summary.Requests * 100, summary.Requests * 299);
        Assert.InRange(summary.BytesSent + summary.BytesSavedByDeltas, (summary.Requests - summary.NotModified) * 100, (summary.Requests - summary.NotModified) * 299);

        // The items are at the origin, the operator's own ones untouched.
        Assert.Equal(20, simulator.Keys.Count(k => File.Exists(Path.Combine(_origin.Root, k))));
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(_origin.Root, "hello.txt")));
    }

    [Fact]
    public async Task With_small_edits_the_simulator_counts_delta_savings_apart_from_304_savings()
    {
        await using var cluster = await StartAsync();
        var options = new SimulationOptions
        {
            Clients = 4,
            Duration = TimeSpan.FromSeconds(4),
            AdminKey = PortalFactory.AdminKey,
            Items = 10,
            ItemBytes = 2000,
            ChangeShare = 1, // ten one-field edits
            SmallEdits = true,
            LogOffChance = 0,
            ThinkTime = TimeSpan.FromMilliseconds(20),
        };
        foreach (var node in cluster.Nodes)
        {
            options.Target.Add(new Uri(node.BaseUrl));
        }

        var simulator = new LoadSimulator(options);
        var summary = await simulator.RunAsync(null);
        output.WriteLine(summary.Summary());

        Assert.Equal(0, summary.Errors);
        Assert.True(summary.Deltas > 0, $"no 200 came as a delta:\n{summary.Summary()}");
        Assert.True(summary.BytesSavedByDeltas > summary.Deltas * 1000 / 2, $"a one-field edit of a 1000–2999 B item should save most of it:\n{summary.Summary()}");
        Assert.True(summary.NotModified > 0, "304s are counted apart");
        // The items are JSON documents at the origin, and the edits reached it.
        Assert.Contains(simulator.Keys, k => System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_origin.Root, k))).RootElement.GetProperty("version").GetInt32() > 0);
    }

    private sealed class Collect(List<SimulationSnapshot> into) : IProgress<SimulationSnapshot>
    {
        public void Report(SimulationSnapshot value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }
}
