using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using ClusterPortal.Hosting;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// <c>Portal:Http2Port</c> on a real node process (issue 14 item 5): the port speaks HTTP/2 cleartext with prior knowledge
/// to .NET's client and to curl (nghttp2), item answers and 304s included; the <c>--urls</c> port keeps HTTP/1.1.
/// </summary>
[Trait("Category", "Process")]
public sealed class Http2EndpointProcessTests
{
    [Fact]
    public async Task The_http2_port_answers_items_over_http2_with_prior_knowledge_and_the_urls_port_keeps_http1()
    {
        var port = FreePorts.One();
        await using var cluster = await ProcessCluster.StartAsync(1, [$"--Portal:Http2Port={port}"]);
        var node = cluster[0];
        var (_, token) = await cluster.AnnounceAsync(node, "h2-device");
        var item = new Uri($"http://127.0.0.1:{port}/api/clients/h2-device/items/hello.txt");
        using var h2 = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        using var first = Http2Get(item);
        first.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var ok = await h2.SendAsync(first);
        Assert.True(ok.StatusCode == HttpStatusCode.OK, $"{(int)ok.StatusCode} {await ok.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpVersion.Version20, ok.Version);
        Assert.NotEmpty(await ok.Content.ReadAsByteArrayAsync());

        using var again = Http2Get(item);
        again.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        again.Headers.IfNoneMatch.Add(ok.Headers.ETag!);
        using var notModified = await h2.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpVersion.Version20, notModified.Version);

        Assert.Equal("2 200", await CurlAsync("--http2-prior-knowledge", "-H", $"Authorization: Bearer {token}", item.ToString()));

        using var h1 = await cluster.Http.GetAsync(new Uri(node.Url + "/health/live"));
        Assert.Equal(HttpVersion.Version11, h1.Version);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5301", "http://127.0.0.1:6000")]
    [InlineData("https://*:5301/", "https://*:6000")]
    [InlineData("http://[::1]:5301", "http://[::1]:6000")]
    [InlineData("http://node-1", "http://node-1:6000")]
    [InlineData("not an address", null)]
    public void The_http2_address_is_the_urls_address_on_the_http2_port(string url, string? expected) =>
        Assert.Equal(expected, Http2Endpoint.WithPort(url, 6000));

    /// <summary>A GET that must go over HTTP/2 (prior knowledge on a cleartext address).</summary>
    private static HttpRequestMessage Http2Get(Uri uri) =>
        new(HttpMethod.Get, uri) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

    /// <summary>Runs curl and returns its <c>http_version status</c>; fails with its error output.</summary>
    private static async Task<string> CurlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-s", "-S", "--max-time", "20", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var curl = Process.Start(start)!;
        var output = await curl.StandardOutput.ReadToEndAsync();
        var error = await curl.StandardError.ReadToEndAsync();
        await curl.WaitForExitAsync();
        Assert.True(curl.ExitCode == 0, $"curl exited {curl.ExitCode}: {error}");
        return output;
    }
}
