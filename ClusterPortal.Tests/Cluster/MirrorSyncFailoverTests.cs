using System.Globalization;
using System.Net.Http.Headers;
using ClusterPortal.Tests.Support;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// Mirror sync policies on 3 real node processes (Hangfire active: one node per process; docs/architecture.md §8; patent
/// "Primary Server Selection": synchronisation on logoff, after a number of transactions, after each transaction).
/// Per policy, devices that rely on the mirror (<see cref="MirrorClient"/>) share one primary: one is brought in step
/// the policy's way before the primary is killed, another is killed on right after a burst of 100 requests. Then the
/// test reads what the alternate's mirror holds, and every device asks for its items again through a survivor: a 304
/// only where the alternate is exactly where the device is, never a wrong one. Prints the measured loss (README table).
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class MirrorSyncFailoverTests(ITestOutputHelper output) : IDisposable
{
    private const int Burst = 100;
    private readonly string _content = Directory.CreateTempSubdirectory("mirror-sync-content-").FullName;

    public void Dispose() => Directory.Delete(_content, recursive: true);

    [Fact]
    public Task EachTransaction_alternate_holds_every_entry_when_the_primary_dies_right_after_a_burst() =>
        RunAsync("EachTransaction", settle: null, expectBurstLoss: 0);

    [Fact]
    public Task EveryNTransactions_alternate_catches_up_within_a_job_and_a_kill_after_a_burst_never_gives_a_wrong_304() =>
        RunAsync("EveryNTransactions", settle: null, expectBurstLoss: null);

    [Fact]
    public Task OnLogoff_alternate_holds_the_mirror_after_logoff_and_a_value_changed_back_gets_no_wrong_304() =>
        RunAsync("OnLogoff", settle: (client, url) => client.LogOffAsync(url), expectBurstLoss: Burst, changeBack: true);

    [Fact]
    public Task Periodic_alternate_catches_up_within_a_period_and_a_kill_after_a_burst_never_gives_a_wrong_304() =>
        RunAsync("Periodic", settle: null, expectBurstLoss: null);

    /// <param name="policy">Mirror:SyncPolicy.</param>
    /// <param name="settle">What the in-step device does after its burst (besides waiting for its alternate).</param>
    /// <param name="expectBurstLoss">Entries the alternate must lack for the device killed on after its burst; null: whatever the timing gives.</param>
    /// <param name="changeBack">Also run a device whose item changes and changes back while its alternate is behind.</param>
    private async Task RunAsync(string policy, Func<MirrorClient, string, Task>? settle, int? expectBurstLoss, bool changeBack = false)
    {
        WriteContent();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await using var cluster = await ProcessCluster.StartAsync(3,
        [
            $"--Origin:Root={_content}", $"--Mirror:SyncPolicy={policy}", "--Mirror:SyncEvery=10", "--Mirror:SyncInterval=00:00:01",
        ]);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(15) };
        var (primary, inStep, burst, flipper) = await ThreeDevicesOnOnePrimaryAsync(cluster, http);
        var survivor = cluster.Nodes.First(n => n.NodeId != primary.NodeId);
        output.WriteLine($"{policy}: cluster up and devices announced after {watch.ElapsedMilliseconds} ms");

        // The device brought in step the policy's way: a burst, then (logoff) and its alternate catches up.
        await BurstAsync(inStep, primary.Url);
        if (settle is not null)
        {
            await settle(inStep, primary.Url);
        }

        output.WriteLine($"{policy}: burst done after {watch.ElapsedMilliseconds} ms");
        var inStepAlternate = await AlternateUrlAsync(cluster, inStep);
        await Eventually.True(async () => (await inStep.MirrorAtAsync(inStepAlternate, ProcessCluster.AdminKey)).Sequence == inStep.Sequence,
            $"{policy}: {inStep.ClientId}'s alternate in step", 15_000, cluster.Describe);

        // Change and change back while the alternate is behind: the device holds v2, the alternate v1, the origin v1 again.
        if (changeBack)
        {
            await flipper.GetAsync(primary.Url, "flip.txt");
            await flipper.LogOffAsync(primary.Url);
            var flipAlternate = await AlternateUrlAsync(cluster, flipper);
            await Eventually.True(async () => (await flipper.MirrorAtAsync(flipAlternate, ProcessCluster.AdminKey)).Sequence == flipper.Sequence,
                $"{flipper.ClientId}'s alternate in step", 15_000, cluster.Describe);
            await PutAsync(http, primary.Url, "flip.txt", "version two of the flip item");
            Assert.Equal(200, await flipper.GetAsync(primary.Url, "flip.txt"));
            await PutAsync(http, primary.Url, "flip.txt", "version one of the flip item");
        }

        output.WriteLine($"{policy}: in step after {watch.ElapsedMilliseconds} ms");

        // The device whose primary dies right after its burst.
        var burstAlternate = await AlternateUrlAsync(cluster, burst);
        await BurstAsync(burst, primary.Url);
        primary.Kill();
        var live = cluster.Nodes.Where(n => n.IsRunning).ToList();
        await cluster.WaitStateAsync(primary, live, ["Down"], 10_000);

        output.WriteLine($"{policy}: killed and Down after {watch.ElapsedMilliseconds} ms");
        var inStepMirror = await inStep.MirrorAtAsync(inStepAlternate, ProcessCluster.AdminKey);
        var burstMirror = await burst.MirrorAtAsync(burstAlternate, ProcessCluster.AdminKey);
        var lost = burst.Missing(burstMirror.Entries);
        var burstExact = burstMirror.Sequence == burst.Sequence;
        Assert.Equal(0, inStep.Missing(inStepMirror.Entries));
        if (expectBurstLoss is { } expected)
        {
            Assert.Equal(expected, lost);
        }

        // Every device asks for everything again through a survivor (forwarded to the promoted alternate).
        var inStepAnswers = await AskAgainAsync(inStep, survivor.Url);
        var before = burst.BodyBytes;
        var burstAnswers = await AskAgainAsync(burst, survivor.Url);
        var extraBytes = burst.BodyBytes - before;

        output.WriteLine($"{policy}: asked again after {watch.ElapsedMilliseconds} ms");
        Assert.All(inStepAnswers, s => Assert.Equal(304, s));
        Assert.All(burstAnswers, s => Assert.Equal(burstExact ? 304 : 200, s)); // 304 only when the alternate is exactly where the device is
        Assert.Equal(lost == 0 && burstExact, extraBytes == 0);
        if (changeBack)
        {
            // The alternate's entry (v1) equals the origin (v1) again, but the device holds v2: it must get v1's bytes.
            Assert.Equal(200, await flipper.GetAsync(survivor.Url, "flip.txt"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {policy} | {lost} of {Burst} | {extraBytes:N0} B ({burstAnswers.Count(s => s == 200)} items re-sent) | alternate exactly in step: {(burstExact ? "yes" : "no")} |"));
    }

    private static async Task<(ProcessCluster.Node Primary, MirrorClient InStep, MirrorClient Burst, MirrorClient Flipper)> ThreeDevicesOnOnePrimaryAsync(
        ProcessCluster cluster, HttpClient http)
    {
        var byPrimary = new Dictionary<string, List<MirrorClient>>(StringComparer.Ordinal);
        for (var i = 0; i < 12 && !byPrimary.Values.Any(l => l.Count >= 3); i++)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"sync-device-{i:D2}");
            var (primaryId, token) = await cluster.AnnounceAsync(cluster[0], id);
            (byPrimary.TryGetValue(primaryId, out var list) ? list : byPrimary[primaryId] = []).Add(new MirrorClient(http, id, token));
        }

        var (nodeId, devices) = byPrimary.First(p => p.Value.Count >= 3);
        return (cluster.Nodes.Single(n => n.NodeId == nodeId), devices[0], devices[1], devices[2]);
    }

    private static async Task<string> AlternateUrlAsync(ProcessCluster cluster, MirrorClient client)
    {
        string? alternate = null;
        await Eventually.True(async () => (alternate = (await cluster.ClientsAsync(cluster[0]))[client.ClientId].Alternate) is not null,
            $"{client.ClientId} has an alternate", 10_000, cluster.Describe);
        return cluster.Nodes.Single(n => n.NodeId == alternate).Url;
    }

    private static async Task BurstAsync(MirrorClient client, string url)
    {
        for (var i = 0; i < Burst; i++)
        {
            Assert.Equal(200, await client.GetAsync(url, ItemKey(i)));
        }
    }

    private static async Task<List<int>> AskAgainAsync(MirrorClient client, string url)
    {
        var statuses = new List<int>();
        for (var i = 0; i < Burst; i++)
        {
            statuses.Add(await client.GetAsync(url, ItemKey(i)));
        }

        return statuses;
    }

    private static async Task PutAsync(HttpClient http, string url, string key, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"{url}/api/items/{key}")) { Content = new StringContent(text) };
        request.Headers.Add("X-Admin-Key", ProcessCluster.AdminKey);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static string ItemKey(int i) => string.Create(CultureInfo.InvariantCulture, $"items/i{i:D3}.txt");

    private void WriteContent()
    {
        Directory.CreateDirectory(Path.Combine(_content, "items"));
        for (var i = 0; i < Burst; i++)
        {
            File.WriteAllText(Path.Combine(_content, ItemKey(i)), string.Concat(Enumerable.Repeat(string.Create(CultureInfo.InvariantCulture, $"item {i:D3} "), 100)));
        }

        File.WriteAllText(Path.Combine(_content, "flip.txt"), "version one of the flip item");
    }
}
