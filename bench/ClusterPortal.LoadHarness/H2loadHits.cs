using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ClusterPortal.LoadHarness;

/// <summary>
/// Bytes per validated hit on HTTP/2 with a client whose HPACK encoder indexes repeated request header fields: h2load
/// from nghttp2 (Debian's <c>nghttp2-client</c>; the same nghttp2 library as curl's HTTP/2). h2load runs twice against
/// the node's HTTP/2 port with prior knowledge, once with 1 request and once with 1 + <see cref="Hits"/> requests for the
/// same unchanged item on one connection, through a loopback relay that counts the bytes each way (every frame, settings
/// included; no TCP/IP). The difference divided by <see cref="Hits"/> is what one more validated hit costs on a warm
/// connection. Every answer must be a 304. (Debian's curl 7.88 cannot send a second request on a reused prior-knowledge
/// connection: "Error in the HTTP2 framing layer", whatever the server.)
/// </summary>
internal static class H2loadHits
{
    public const int Hits = 100;

    /// <summary>Bytes per additional validated hit: the request (client to node) and the 304 (node to client).</summary>
    public sealed record Result(double Request, double Response, string Tool);

    /// <summary>Null when h2load is not installed (the figure is then printed as not measured).</summary>
    public static async Task<Result?> RunAsync(Uri http2, string path, IReadOnlyDictionary<string, string> headers)
    {
        var version = await VersionAsync();
        if (version is null)
        {
            return null;
        }

        await using var relay = CountingRelay.Start(new IPEndPoint(IPAddress.Loopback, http2.Port));
        var one = await RunH2loadAsync(relay, path, headers, 1);
        var many = await RunH2loadAsync(relay, path, headers, 1 + Hits);
        return new Result((double)(many.Sent - one.Sent) / Hits, (double)(many.Received - one.Received) / Hits, version);
    }

    private static async Task<(long Sent, long Received)> RunH2loadAsync(CountingRelay relay, string path, IReadOnlyDictionary<string, string> headers, int requests)
    {
        var start = new ProcessStartInfo("h2load") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-n", requests.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "1", "-m", "1" })
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in headers)
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add($"{name.ToLowerInvariant()}: {value}");
        }

        start.ArgumentList.Add($"http://127.0.0.1:{relay.Port}{path}");
        relay.Reset();
        using var h2load = Process.Start(start) ?? throw new InvalidOperationException("h2load did not start.");
        var output = await h2load.StandardOutput.ReadToEndAsync();
        var error = await h2load.StandardError.ReadToEndAsync();
        await h2load.WaitForExitAsync();
        var succeeded = Regex.Match(output, @"(\d+) succeeded");
        var redirects = Regex.Match(output, @"(\d+) 3xx");
        if (h2load.ExitCode != 0 || succeeded.Groups[1].Value != requests.ToString(System.Globalization.CultureInfo.InvariantCulture)
            || redirects.Groups[1].Value != requests.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"h2load exited {h2load.ExitCode}; {requests} requests must all be 304s:\n{output}\n{error}");
        }

        await relay.WaitIdleAsync();
        if (relay.Connections != 1)
        {
            throw new InvalidOperationException($"h2load opened {relay.Connections} connections for {requests} requests; the figure needs one.");
        }

        return (relay.Sent, relay.Received);
    }

    private static async Task<string?> VersionAsync()
    {
        try
        {
            using var h2load = Process.Start(new ProcessStartInfo("h2load", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            if (h2load is null)
            {
                return null;
            }

            var text = await h2load.StandardOutput.ReadToEndAsync();
            await h2load.WaitForExitAsync();
            return h2load.ExitCode == 0 ? text.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // not installed
        }
    }

    /// <summary>A loopback TCP relay to one target that counts the bytes each way over all its connections.</summary>
    private sealed class CountingRelay : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly IPEndPoint _target;
        private readonly WireCounter _counter = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _pumps = [];
        private readonly Task _accepting;
        private int _connections;

        private CountingRelay(IPEndPoint target)
        {
            _target = target;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public static CountingRelay Start(IPEndPoint target) => new(target);

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public long Sent => _counter.Sent;

        public long Received => _counter.Received;

        public int Connections => Volatile.Read(ref _connections);

        public void Reset()
        {
            _counter.Reset();
            Volatile.Write(ref _connections, 0);
        }

        /// <summary>Waits until every relayed connection has closed both ways (h2load has exited, so they are closing).</summary>
        public async Task WaitIdleAsync()
        {
            Task[] pumps;
            lock (_pumps)
            {
                pumps = [.. _pumps];
                _pumps.Clear();
            }

            await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(30));
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                Interlocked.Increment(ref _connections);
                lock (_pumps)
                {
                    _pumps.Add(RelayAsync(client));
                }
            }
        }

        private async Task RelayAsync(TcpClient client)
        {
            using (client)
            using (var server = new TcpClient())
            {
                await server.ConnectAsync(_target);
                var fromClient = client.GetStream();
                var toServer = server.GetStream();
                await Task.WhenAll(
                    PumpAsync(fromClient, toServer, server.Client, _counter.AddSent),
                    PumpAsync(toServer, fromClient, client.Client, _counter.AddReceived));
            }
        }

        private static async Task PumpAsync(Stream from, Stream to, Socket toSocket, Action<int> count)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await from.ReadAsync(buffer)) > 0)
                {
                    count(read);
                    await to.WriteAsync(buffer.AsMemory(0, read));
                }

                toSocket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // a side went away: the connection is over
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            _stop.Dispose();
        }
    }
}
