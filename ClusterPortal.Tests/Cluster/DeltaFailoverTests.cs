using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ClusterPortal.Client.Contract;
using ClusterPortal.Tests.Support;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// A delta after a failover (docs/deltas.md, "The mirror path"): a device that relies on the mirror holds version 1 of an
/// item; its alternate's mirror is in step (<c>Mirror:SyncPolicy=EachTransaction</c>) and the alternate holds version 1's
/// bytes (it served the item to a device of its own). The item changes and the primary is killed. The device's next
/// request, through the promoted alternate, names no dictionary — only its mirror sequence and <c>Accept-Encoding: dcz</c>
/// — and gets the change as a <c>dcz</c> delta against version 1 that decodes to version 2. Three real node processes.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class DeltaFailoverTests(ITestOutputHelper output) : IDisposable
{
    private const string Key = "stations/tempelhof.json";
    private readonly string _content = Directory.CreateTempSubdirectory("delta-failover-content-").FullName;

    public void Dispose() => Directory.Delete(_content, recursive: true);

    [Fact]
    public async Task After_its_primary_dies_a_mirror_device_gets_a_delta_from_the_promoted_alternate()
    {
        var v1 = Station(21);
        var v2 = Station(22);
        Directory.CreateDirectory(Path.Combine(_content, "stations"));
        await File.WriteAllBytesAsync(Path.Combine(_content, Key), v1);
        await using var cluster = await ProcessCluster.StartAsync(3, [$"--Origin:Root={_content}", "--Mirror:SyncPolicy=EachTransaction"]);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromSeconds(15) };

        // A device, and a second device whose primary is the first one's alternate (so that node reads version 1 itself).
        var (device, primaryId) = await AnnounceAsync(cluster, http, "delta-device");
        string? alternateId = null;
        await Eventually.True(async () => (alternateId = (await cluster.ClientsAsync(cluster[0]))[device.ClientId].Alternate) is not null,
            "the device has an alternate", 10_000, cluster.Describe);
        var primary = cluster.Nodes.Single(n => n.NodeId == primaryId);
        var alternate = cluster.Nodes.Single(n => n.NodeId == alternateId);
        MirrorClient? neighbour = null;
        for (var i = 0; neighbour is null; i++)
        {
            Assert.True(i < 12, $"no device got {alternateId} as primary in 12 announces");
            var (candidate, itsPrimary) = await AnnounceAsync(cluster, http, string.Create(CultureInfo.InvariantCulture, $"delta-neighbour-{i:D2}"));
            neighbour = itsPrimary == alternateId ? candidate : null;
        }

        Assert.Equal(200, await device.GetAsync(primary.Url, Key));
        Assert.Equal(200, await neighbour.GetAsync(alternate.Url, Key));
        await Eventually.True(async () => (await device.MirrorAtAsync(alternate.Url, ProcessCluster.AdminKey)).Sequence == device.Sequence,
            $"{device.ClientId}'s alternate {alternateId} in step", 15_000, cluster.Describe);

        await PutAsync(http, primary.Url, v2); // ItemChanged: every node keeps the version it had
        primary.Kill();
        await cluster.WaitStateAsync(primary, cluster.Nodes.Where(n => n.IsRunning).ToList(), ["Down"], 10_000);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{alternate.Url}/api/clients/{device.ClientId}/items/{Key}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", device.Token);
        request.Headers.Add("Prefer", "cache-mirror");
        request.Headers.Add("X-Mirror-Sequence", device.Sequence ?? throw new InvalidOperationException("the device has no mirror sequence"));
        request.Headers.Add("Accept-Encoding", "dcz");
        using var response = await SendUntilServedAsync(http, request, cluster);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["dcz"], response.Content.Headers.ContentEncoding);
        Assert.Equal(v2, DczCodec.Decode(body, v1, v2.Length));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"delta from the promoted alternate {alternateId}: {body.Length} B for a {v2.Length} B item"));
        Assert.True(body.Length < v2.Length / 10, $"a one-field edit's delta was {body.Length} B of {v2.Length} B");
    }

    private static async Task<(MirrorClient Client, string Primary)> AnnounceAsync(ProcessCluster cluster, HttpClient http, string id)
    {
        var (primary, token) = await cluster.AnnounceAsync(cluster[0], id);
        return (new MirrorClient(http, id, token), primary);
    }

    /// <summary>Sends once the promoted alternate serves the client (a 503 with <c>Retry-After</c> while the failover settles is tried again).</summary>
    private static async Task<HttpResponseMessage> SendUntilServedAsync(HttpClient http, HttpRequestMessage request, ProcessCluster cluster)
    {
        HttpResponseMessage? response = null;
        await Eventually.True(async () =>
        {
            response?.Dispose();
            using var copy = new HttpRequestMessage(request.Method, request.RequestUri);
            foreach (var (name, values) in request.Headers)
            {
                copy.Headers.TryAddWithoutValidation(name, values);
            }

            response = await http.SendAsync(copy, HttpCompletionOption.ResponseContentRead);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
            {
                return true;
            }

            return false;
        }, "the promoted alternate answers the device (not 503)", 15_000, cluster.Describe);
        return response!;
    }

    private static async Task PutAsync(HttpClient http, string url, byte[] content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"{url}/api/items/{Key}")) { Content = new ByteArrayContent(content) };
        request.Headers.Add("X-Admin-Key", ProcessCluster.AdminKey);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A JSON item of about 4 KiB in which one field (<c>temperature</c>) changes.</summary>
    private static byte[] Station(int temperature)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{{\"station\":\"tempelhof\",\"temperature\":{temperature},\"readings\":["));
        var random = new Random(7);
        while (text.Length < 4000)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"t\":{random.Next(1_000_000, 9_999_999)},\"v\":{random.NextDouble() * 100:0.000}}},");
        }

        text.Length--;
        text.Append("]}");
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
