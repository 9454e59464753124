using System.Net;
using System.Net.Sockets;
using ClusterEngine.Membership;

namespace ClusterEngine.Tests.Membership;

/// <summary>The seed's dial-back before it adds a node (docs/identity.md, "Joining"): real sockets on loopback.</summary>
public sealed class AdvertisedUrlProbeTests
{
    [Fact]
    public async Task A_closed_port_and_a_port_that_never_answers_are_problems_an_answering_one_is_not()
    {
        using var probe = new AdvertisedUrlProbe();
        var timeout = TimeSpan.FromMilliseconds(300);

        // A refusal comes at once; the generous timeout only keeps a cold first connection on a loaded host from looking silent.
        Assert.Contains("refused", await probe.ProblemAsync("http://127.0.0.1:1", TimeSpan.FromSeconds(10), CancellationToken.None), StringComparison.OrdinalIgnoreCase);

        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts the connection (the backlog), never answers
        silent.Start();
        var silentUrl = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        Assert.Equal("no answer within 0.3 s", await probe.ProblemAsync(silentUrl, timeout, CancellationToken.None));

        using var answering = new TcpListener(IPAddress.Loopback, 0);
        answering.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)answering.LocalEndpoint).Port}/";
        var server = Task.Run(async () =>
        {
            using var client = await answering.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var read = 0;
            while (!System.Text.Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                read += await stream.ReadAsync(buffer.AsMemory(read));
            }

            var request = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
            await stream.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            return request;
        });
        Assert.Null(await probe.ProblemAsync(url, TimeSpan.FromSeconds(10), CancellationToken.None)); // any HTTP answer: reachable
        Assert.StartsWith("GET /health/live HTTP/1.1", await server, StringComparison.Ordinal);
    }
}
