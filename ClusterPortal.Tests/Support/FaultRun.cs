using System.Globalization;
using System.Net;
using ClusterPortal.Tests.Support.History;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// A fault run against a <see cref="ProcessCluster"/>: simulated devices (<see cref="SimulatedDevice"/>, the SDK) fetch
/// items through the shared address while an operator keeps changing some of them, and every node's view
/// (<c>/health/ready</c> and every page of <c>GET /api/clients</c>) is sampled on its own loop; all of it goes into one
/// <see cref="ClusterHistory"/> for the <see cref="HistoryChecker"/>. The origin is a temporary copy (deleted on dispose),
/// so changing items never touches the build output other tests read.
/// </summary>
public sealed class FaultRun : IAsyncDisposable
{
    private const int Items = 16;
    private readonly string _origin = Directory.CreateTempSubdirectory("fault-origin-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<SimulatedDevice> _devices = [];
    private readonly List<Task> _loops = [];
    private readonly HttpClient _sampling = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
    private int _nextDevice;

    private FaultRun(string name) => Name = name;

    public string Name { get; }

    public ProcessCluster Cluster { get; private set; } = null!;

    public ClusterHistory History { get; } = new();

    /// <summary>The item keys the devices fetch.</summary>
    public IReadOnlyList<string> Keys { get; } = [.. Enumerable.Range(0, Items).Select(i => $"fault/item-{i:D2}.txt"), "hello.txt"];

    /// <summary>Starts a 3-node cluster on a fresh origin, <paramref name="devices"/> devices and the samplers.</summary>
    public static async Task<FaultRun> StartAsync(string name, int devices, params string[] nodeArgs)
    {
        var run = new FaultRun(name);
        try
        {
            run.WriteOrigin();
            run.Cluster = await ProcessCluster.StartAsync(3, [$"--Origin:Root={run._origin}", .. nodeArgs]);
            foreach (var node in run.Cluster.Nodes)
            {
                run._loops.Add(Task.Run(() => run.SampleLoopAsync(node)));
            }

            run._loops.Add(Task.Run(run.ChangeItemsLoopAsync));
            await run.AddDevicesAsync(devices);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>Device ids announced successfully so far.</summary>
    public int Announced => History.Operations.Count(o => o.Kind == OperationKind.Announce && o.Succeeded);

    /// <summary>Logs on <paramref name="count"/> more devices (half of them using the cache mirror) and starts their loops.</summary>
    public async Task AddDevicesAsync(int count)
    {
        var addresses = Cluster.Nodes.Select(n => n.Url).ToList();
        for (var i = 0; i < count; i++)
        {
            var n = _nextDevice++;
            var device = new SimulatedDevice(string.Create(CultureInfo.InvariantCulture, $"{Name}-{n:D3}"), addresses, Keys, useMirror: n % 2 == 1, History, seed: n);
            _devices.Add(device);
            if (await device.LogOnAsync(_stop.Token))
            {
                _loops.Add(Task.Run(() => device.RunAsync(TimeSpan.FromMilliseconds(150), _stop.Token)));
            }
        }
    }

    /// <summary>Waits until every running node (not frozen) is ready and all views agree on every announced device; returns the elapsed ms.</summary>
    public async Task<long> SettleAsync(int timeoutMs = 60_000)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var node in Cluster.Nodes.Where(n => n.IsRunning && !n.IsFrozen))
        {
            await node.WaitReadyAsync(timeoutMs);
        }

        await Cluster.WaitViewsAgreeAsync(Announced, timeoutMs);
        return watch.ElapsedMilliseconds;
    }

    /// <summary>Stops the devices and samplers, takes one final view of every node, and judges the history.</summary>
    public async Task<HistoryVerdict> FinishAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        var final = new List<ViewSample>();
        foreach (var node in Cluster.Nodes)
        {
            final.Add(await SampleAsync(node) ?? new ViewSample(node.NodeId, ClusterHistory.Now, false, new Dictionary<string, ViewedAssignment>()));
        }

        return HistoryChecker.Check(History, final, TimeSpan.FromMilliseconds(150));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        foreach (var device in _devices)
        {
            await device.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        _sampling.Dispose();
        _stop.Dispose();
        Directory.Delete(_origin, recursive: true);
    }

    private void WriteOrigin()
    {
        Directory.CreateDirectory(Path.Combine(_origin, "fault"));
        File.WriteAllText(Path.Combine(_origin, "hello.txt"), "hello");
        for (var i = 0; i < Items; i++)
        {
            File.WriteAllText(Path.Combine(_origin, "fault", $"item-{i:D2}.txt"), $"item {i} version 0");
        }
    }

    /// <summary>The operator publishes a new version of one item every half second, through any ready node.</summary>
    private async Task ChangeItemsLoopAsync()
    {
        var random = new Random(7);
        for (var version = 1; !_stop.IsCancellationRequested; version++)
        {
            var node = Cluster.Nodes[random.Next(Cluster.Nodes.Count)];
            if (node.IsRunning)
            {
                try
                {
                    using var change = await Cluster.AdminAsync(HttpMethod.Put, node, $"/api/items/fault/item-{random.Next(Items):D2}.txt",
                        new { text = string.Create(CultureInfo.InvariantCulture, $"version {version}") });
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // a node that is down or frozen: the next change goes elsewhere
                }
            }

            try
            {
                await Task.Delay(500, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SampleLoopAsync(ProcessCluster.Node node)
    {
        while (!_stop.IsCancellationRequested)
        {
            if (node.IsRunning && await SampleAsync(node) is { } sample)
            {
                History.Record(sample);
            }

            try
            {
                await Task.Delay(200, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One view of <paramref name="node"/>: ready, then every assignment; null when it does not answer.</summary>
    private async Task<ViewSample?> SampleAsync(ProcessCluster.Node node)
    {
        var started = ClusterHistory.Now;
        try
        {
            using var ready = await _sampling.GetAsync(new Uri(node.Url + "/health/ready"));
            var clients = await Cluster.ClientsAsync(node, _sampling);
            var taken = (started + ClusterHistory.Now) / 2;
            return new ViewSample(node.NodeId, taken, ready.StatusCode == HttpStatusCode.OK,
                clients.ToDictionary(kv => kv.Key, kv => new ViewedAssignment(kv.Value.Primary, kv.Value.Alternate), StringComparer.Ordinal));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
