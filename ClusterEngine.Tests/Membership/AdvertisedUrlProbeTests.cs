using System.Net;
using System.Net.Sockets;
using System.Text;
using ClusterEngine.Membership;

namespace ClusterEngine.Tests.Membership;

/// <summary>The seed's dial-back before it adds a node (docs/identity.md, "Joining"): real sockets on loopback.</summary>
public sealed class AdvertisedUrlProbeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10); // keeps a cold first connection on a loaded host from looking silent

    [Fact]
    public async Task A_closed_port_and_a_port_that_never_answers_are_problems()
    {
        using var probe = new AdvertisedUrlProbe();

        Assert.Contains("refused", await probe.ProblemAsync("http://127.0.0.1:1", "n4", Generous, CancellationToken.None), StringComparison.OrdinalIgnoreCase);

        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts the connection (the backlog), never answers
        silent.Start();
        var silentUrl = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        Assert.Equal("no answer within 0.3 s", await probe.ProblemAsync(silentUrl, "n4", TimeSpan.FromMilliseconds(300), CancellationToken.None));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nX-Served-By: n4\r\n", null)] // the node itself
    [InlineData("HTTP/1.1 404 Not Found\r\n", "not a ClusterPortal node: 404 without X-Served-By")] // another web server at that address (found by an attack)
    [InlineData("HTTP/1.1 200 OK\r\nX-Served-By: n2\r\n", "the node answering there is n2 (200)")] // another node's URL
    [InlineData("HTTP/1.1 503 Service Unavailable\r\nX-Served-By: n4\r\n", "the node answering there is n4 (503)")] // not live
    public async Task Only_the_node_itself_answering_its_live_check_is_reachable(string head, string? problem)
    {
        using var probe = new AdvertisedUrlProbe();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var read = 0;
            while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                read += await stream.ReadAsync(buffer.AsMemory(read));
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "Content-Length: 0\r\nConnection: close\r\n\r\n"));
            return Encoding.ASCII.GetString(buffer, 0, read);
        });

        var answer = await probe.ProblemAsync($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/", "n4", Generous, CancellationToken.None);

        if (problem is null)
        {
            Assert.Null(answer);
        }
        else
        {
            Assert.Contains(problem, answer, StringComparison.Ordinal);
        }

        Assert.StartsWith("GET /health/live HTTP/1.1", await server, StringComparison.Ordinal);
    }
}
