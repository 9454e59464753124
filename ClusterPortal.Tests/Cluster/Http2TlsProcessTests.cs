using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// <c>Portal:Http2Port</c> over TLS (issue 14 item 5, docs/deltas.md): a node process whose <c>--urls</c> address is
/// <c>https</c>, with its certificate from <c>Kestrel:Certificates:Default</c> (a self-signed one made by the test), adds
/// an HTTP/2 port that speaks TLS with ALPN <c>h2</c>: an item is answered over HTTP/2, then a 304 for the held version;
/// a client that offers only HTTP/1.1 there is refused, and the <c>--urls</c> port still speaks HTTP/1.1.
/// </summary>
[Trait("Category", "Process")]
public sealed class Http2TlsProcessTests
{
    [Fact]
    public async Task The_http2_port_of_an_https_node_speaks_http2_over_tls_with_alpn()
    {
        var dir = Directory.CreateTempSubdirectory("portal-h2-tls-");
        try
        {
            using var certificate = SelfSigned();
            var pfx = Path.Combine(dir.FullName, "node.pfx");
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test-password"));
            var (port, h2Port) = (FreePorts.One(), FreePorts.One());
            var url = $"https://127.0.0.1:{port}";
            using var node = PortalProcess.Start(dir.FullName,
                new Dictionary<string, string> { ["Cluster__Key"] = "0123456789abcdef0123456789abcdef", ["Portal__AdminKey"] = "0123456789abcdef-admin" },
                "node", "--Cluster:NodeId=tls-1", $"--urls={url}", $"--Portal:Http2Port={h2Port}",
                $"--Kestrel:Certificates:Default:Path={pfx}", "--Kestrel:Certificates:Default:Password=test-password",
                $"--Cluster:DataDirectory={Path.Combine(dir.FullName, "data")}");
            using var http = Client(certificate, HttpVersion.Version11);
            await Eventually.True(async () =>
            {
                try
                {
                    using var ready = await http.GetAsync(new Uri($"{url}/health/ready"));
                    return ready.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            }, "the https node's /health/ready answering 200", 120_000, () => node.Output);

            using var session = await http.PostAsync(new Uri($"{url}/api/sessions"), JsonContent("{\"clientId\":\"tls-device\"}"));
            Assert.Equal(HttpStatusCode.Created, session.StatusCode);
            var token = (await session.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString();
            var item = new Uri($"https://127.0.0.1:{h2Port}/api/clients/tls-device/items/hello.txt");

            using var h2 = Client(certificate, HttpVersion.Version20);
            using var first = new HttpRequestMessage(HttpMethod.Get, item) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            first.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var ok = await h2.SendAsync(first);
            Assert.True(ok.StatusCode == HttpStatusCode.OK, $"{(int)ok.StatusCode} {await ok.Content.ReadAsStringAsync()}");
            Assert.Equal(HttpVersion.Version20, ok.Version);

            using var again = new HttpRequestMessage(HttpMethod.Get, item) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            again.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            again.Headers.IfNoneMatch.Add(ok.Headers.ETag!);
            using var notModified = await h2.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Equal(HttpVersion.Version20, notModified.Version);

            // The HTTP/2 port offers only h2 in ALPN: a client that insists on HTTP/1.1 cannot talk to it.
            using var h1Only = new HttpRequestMessage(HttpMethod.Get, item) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.SendAsync(h1Only));

            using var live = await http.GetAsync(new Uri($"{url}/health/live"));
            Assert.Equal(HttpVersion.Version11, live.Version);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    /// <summary>A client that trusts exactly <paramref name="certificate"/> (by thumbprint) and sends <paramref name="version"/> by default.</summary>
    private static HttpClient Client(X509Certificate2 certificate, Version version) =>
        new(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    presented is not null && string.Equals(presented.GetCertHashString(), certificate.Thumbprint, StringComparison.OrdinalIgnoreCase),
            },
        })
        { DefaultRequestVersion = version, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A self-signed server certificate for 127.0.0.1, valid for a day.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
