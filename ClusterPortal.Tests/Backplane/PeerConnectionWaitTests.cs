using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterPortal.Tests.Backplane;

/// <summary>
/// A call to a peer whose connection is still being opened waits for it (<see cref="PeerConnection.WaitConnectedAsync"/>):
/// right after a peer joins or restarts it is Up in this node's view (heard over its own connection) before this node's
/// connection back to it is open, and a claim sent then must not count the owner as unreachable (docs/identity.md).
/// A real Kestrel hub on a loopback port that starts only after the connection began retrying.
/// </summary>
[Trait("Category", "Process")]
public sealed class PeerConnectionWaitTests
{
    [Fact]
    public async Task A_call_waits_for_a_connection_that_opens_and_gives_up_on_one_that_does_not()
    {
        var port = FreePorts.One();
        var url = $"http://127.0.0.1:{port}";
        var options = new ClusterOptions { PeerRetryBaseDelay = TimeSpan.FromMilliseconds(20), PeerRetryMaxDelay = TimeSpan.FromMilliseconds(200) };
        await using var peer = new PeerConnection("peer", url, "self", () => "credential", TimeProvider.System, options, NullLogger.Instance,
            _ => Task.CompletedTask, _ => { }, _ => { });
        _ = peer.Open(); // refused: nothing listens yet

        Assert.False(await peer.WaitConnectedAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Services.AddSignalR();
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1)); // the open socket ends the stop
        await using var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<QuietHub>("/hubs/backplane");
        await app.StartAsync();

        Assert.True(await peer.WaitConnectedAsync(TimeSpan.FromSeconds(30), CancellationToken.None),
            "the connection opened within 30 s of the hub listening");

        await app.StopAsync();
        await Eventually.True(() => !peer.IsConnected, "the connection noticed the hub stopped");
        Assert.False(await peer.WaitConnectedAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));
    }

    private sealed class QuietHub : Hub;
}
