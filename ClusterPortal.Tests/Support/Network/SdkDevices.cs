using ClusterPortal.Client;
using ClusterPortal.Tests.Support.History;

namespace ClusterPortal.Tests.Support.Network;

/// <summary>
/// Devices on a client host of a <see cref="TestNetwork"/>: one <see cref="ClusterClient"/> (the SDK) each, whose
/// connections start at that host and whose shared address is the cluster's DNS name, resolved through the test
/// network's DNS server as the host's own processes resolve it (<see cref="TestNetwork.LookupAsync"/>). Each device logs
/// on, then fetches items in a loop until stopped; every operation goes into the <see cref="ClusterHistory"/>.
/// </summary>
public sealed class SdkDevices : IAsyncDisposable
{
    private readonly List<ClusterClient> _clients = [];
    private readonly List<SocketsHttpHandler> _handlers = [];
    private readonly ClusterHistory _history;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    private SdkDevices(ClusterHistory history) => _history = history;

    /// <summary>Operations completed so far.</summary>
    public int Completed => _history.Operations.Count;

    /// <summary>Logs <paramref name="count"/> devices on from <paramref name="host"/> and starts their loops.</summary>
    /// <param name="network">The test network.</param>
    /// <param name="host">The client host the devices run on.</param>
    /// <param name="count">Devices.</param>
    /// <param name="history">Where their operations are recorded.</param>
    /// <param name="configure">Changes the SDK settings (e.g. timeouts for a slow link).</param>
    public static async Task<SdkDevices> StartAsync(TestNetwork network, NetHost host, int count, ClusterHistory history,
        Action<ClusterClientOptions>? configure = null)
    {
        var devices = new SdkDevices(history);
        var resolver = new SharedAddressResolver((name, _) => TestNetwork.LookupAsync(host, name)) { RefreshInterval = TimeSpan.FromSeconds(5) };
        var run = Guid.NewGuid().ToString("n")[..8];
        for (var i = 0; i < count; i++)
        {
            var options = new ClusterClientOptions { ClientId = $"device-{run}-{i}", AddressResolver = resolver };
            options.SharedAddress.Add(new Uri(NetworkCluster.SharedAddress));
            configure?.Invoke(options);
            var handler = TestNetwork.Handler(host, options.AttemptTimeout);
            devices._handlers.Add(handler);
            devices._clients.Add(new ClusterClient(options, handler));
        }

        foreach (var client in devices._clients)
        {
            await devices.RecordAsync(client, OperationKind.Announce, null, async () =>
            {
                var session = await client.LogOnAsync();
                return (201, session.Primary.NodeId, null);
            });
        }

        foreach (var client in devices._clients)
        {
            devices._loops.Add(Task.Run(() => devices.LoopAsync(client)));
        }

        return devices;
    }

    /// <summary>The client ids of the devices.</summary>
    public IReadOnlyList<string> ClientIds => [.. _clients.Select(c => c.ClientId)];

    /// <summary>Lets the devices run on until they have done <paramref name="perDevice"/> more operations each on average (90 s at most).</summary>
    /// <param name="perDevice">Operations per device.</param>
    /// <param name="describe">What a timeout shows (the nodes' logs).</param>
    public Task RunOnAsync(int perDevice, Func<string> describe)
    {
        var target = Completed + (perDevice * _clients.Count);
        return Eventually.True(() => Completed >= target, $"{perDevice * _clients.Count} more device operations", 90_000, describe);
    }

    /// <summary>Stops the loops (operations in flight finish).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        foreach (var handler in _handlers)
        {
            handler.Dispose();
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(ClusterClient client)
    {
        while (!_stop.IsCancellationRequested)
        {
            await RecordAsync(client, OperationKind.Get, "hello.txt", async () =>
            {
                var item = await client.GetItemAsync("hello.txt");
                return item is null ? (404, null, null) : (item.FromCache ? 304 : 200, item.ServedBy, item.ETag);
            });
            try
            {
                await Task.Delay(50, _stop.Token); // a device's think time, not a synchronisation
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RecordAsync(ClusterClient client, OperationKind kind, string? key, Func<Task<(int Status, string? ServedBy, string? ETag)>> operation)
    {
        var started = ClusterHistory.Now;
        try
        {
            var (status, servedBy, etag) = await operation();
            _history.Record(new ClientOperation(client.ClientId, kind, key, started, ClusterHistory.Now, status, servedBy,
                status == 304 ? etag : null, etag, null));
        }
        catch (ClusterClientException ex)
        {
            _history.Record(new ClientOperation(client.ClientId, kind, key, started, ClusterHistory.Now, ex.StatusCode, null, null, null, ex.Message));
        }
    }
}
