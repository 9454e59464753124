using System.Globalization;
using System.Text;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// <c>soak</c>: one fresh node under a steady load for minutes — does anything grow with the number of requests when
/// the set of clients does not? A fixed set of clients (<c>--clients</c>, default 100) fetch one item over and over
/// with wrk (<c>wire/soak.lua</c>: 8 of 10 with the validator, answered 304; 2 of 10 without, answered 200), and with
/// <c>--announce-every=N</c> one request in N announces a new client (then the assignment table and the store grow by
/// design, by about one client's record each). Every <c>--interval</c> seconds it prints the node's resident memory
/// (<c>/proc/&lt;pid&gt;/status</c> VmRSS), its managed heap after the last collection (the runtime's
/// <c>dotnet.gc.last_collection.heap.size</c> from <c>/metrics</c>) and the memory the GC holds committed, threads, open file descriptors, the bytes of its
/// data directory and the bytes it has written to storage; at the end the growth from the first sample after a quarter of the run (JIT tiering and the
/// pools warmed up) to the last, also per million requests. Reports only: what counts as a leak is read from the table.
/// </summary>
internal static class SoakWire
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = WireBench.Option(args, "seconds", 180);
        var interval = WireBench.Option(args, "interval", 15);
        var clientCount = WireBench.Option(args, "clients", 100);
        var connections = WireBench.Option(args, "connections", 16);
        var announceEvery = WireBench.Option(args, "announce-every", 0);
        if (interval < 1 || seconds < 4 * interval || clientCount is < 1 or > 100_000 || connections < 1 || announceEvery < 0)
        {
            throw new FormatException("soak: --interval ≥ 1, --seconds ≥ 4 × interval, 1 ≤ --clients ≤ 100000, --connections ≥ 1, --announce-every ≥ 0 (0: none).");
        }

        await WireBench.EnsureToolsAsync();
        var loadBefore = ProcessCpu.LoadAverage();
        var script = Path.Combine(Path.GetTempPath(), $"soak-{Guid.NewGuid():N}.lua");
        Cluster? cluster = null;
        try
        {
            Console.Error.WriteLine("Starting 1 node…");
            cluster = await Cluster.StartAsync(1, "--Cluster:Capacity=5000000");
            var node = cluster.Nodes[0];
            var lua = new StringBuilder("clients = {\n");
            for (var i = 1; i <= clientCount; i++)
            {
                var session = await cluster.AnnounceAsync(node, $"soak-{i}");
                var etag = await WireBench.ETagAsync(cluster.Http, $"{node.Url}/api/clients/{session.ClientId}/items/hello.txt", session.Token);
                lua.Append(CultureInfo.InvariantCulture, $"{{\"{session.ClientId}\",\"{session.Token}\",[[{etag}]]}},\n");
            }

            lua.Append(CultureInfo.InvariantCulture, $"}}\nannounce_every = {announceEvery}\n");
            lua.Append(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "wire", "soak.lua")));
            await File.WriteAllTextAsync(script, lua.ToString());

            Console.Error.WriteLine($"{clientCount} clients; wrk -t1 -c{connections} for {seconds} s, a sample every {interval} s…");
            var samples = new List<Sample>();
            var started = DateTime.UtcNow;
            var load = Wrk.RunScriptAsync(node.Url, script, connections, TimeSpan.FromSeconds(seconds));
            while (!load.IsCompleted)
            {
                var sample = await SampleAsync(cluster, node, (DateTime.UtcNow - started).TotalSeconds);
                samples.Add(sample);
                Console.Error.WriteLine(sample.Row());
                await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(interval)));
            }

            var result = await load;
            samples.Add(await SampleAsync(cluster, node, (DateTime.UtcNow - started).TotalSeconds));
            Print(samples, result, seconds, clientCount, connections, announceEvery, loadBefore);
            return 0;
        }
        finally
        {
            File.Delete(script);
            cluster?.Dispose();
            ChildProcess.KillAll();
        }
    }

    /// <summary>
    /// One reading of the node: seconds into the run, MB resident and on the managed heap, threads, descriptors, the
    /// data directory's bytes, and the bytes the process has caused to be written to storage (<c>/proc/&lt;pid&gt;/io</c>
    /// <c>write_bytes</c>: its files, not its sockets).
    /// </summary>
    private sealed record Sample(double Seconds, double RssMb, double HeapMb, double CommittedMb, int Threads, int Descriptors, long StoreBytes, long WrittenBytes)
    {
        public string Row() => string.Create(CultureInfo.InvariantCulture,
            $"| {Seconds:N0} | {RssMb:N1} | {HeapMb:N1} | {CommittedMb:N1} | {Threads} | {Descriptors} | {StoreBytes / 1024.0:N0} | {WrittenBytes / 1024.0:N0} |");
    }

    private static async Task<Sample> SampleAsync(Cluster cluster, ChildProcess node, double seconds)
    {
        var status = await File.ReadAllLinesAsync($"/proc/{node.Pid}/status");
        var rssKb = long.Parse(status.Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        var threads = Directory.GetDirectories($"/proc/{node.Pid}/task").Length;
        var descriptors = Directory.GetFiles($"/proc/{node.Pid}/fd").Length;
        var store = new DirectoryInfo(cluster.DataDirectoryOf(node)).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        var written = long.Parse((await File.ReadAllLinesAsync($"/proc/{node.Pid}/io")).Single(l => l.StartsWith("write_bytes:", StringComparison.Ordinal))[12..].Trim(), CultureInfo.InvariantCulture);
        var metrics = await cluster.MetricsAsync(node);
        return new Sample(seconds, rssKb / 1024.0, Sum(metrics, "dotnet_gc_last_collection_heap_size_bytes{") / (1024.0 * 1024.0),
            Sum(metrics, "dotnet_gc_last_collection_memory_committed_size_bytes") / (1024.0 * 1024.0), threads, descriptors, store, written);
    }

    /// <summary>The sum of every series of the metric whose lines start with <paramref name="prefix"/> (e.g. all GC generations).</summary>
    private static double Sum(string[] metrics, string prefix) =>
        metrics.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private static void Print(List<Sample> samples, Wrk.Result result, int seconds, int clients, int connections, int announceEvery, string loadBefore)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ClusterPortal soak — {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, .NET {Environment.Version}, one node, {clients} clients, wrk -t1 -c{connections} -s wire/soak.lua for {seconds} s (announce every {(announceEvery == 0 ? "—" : announceEvery.ToString(CultureInfo.InvariantCulture))}), load average {loadBefore} before, {ProcessCpu.LoadAverage()} after"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Requests:N0} requests, {result.PerSecond:N0}/s, {result.Errors:N0} not 2xx/3xx"));
        Console.WriteLine();
        Console.WriteLine("| s | resident MB | managed heap MB | GC committed MB | threads | descriptors | data directory KB | written to storage KB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var sample in samples)
        {
            Console.WriteLine(sample.Row());
        }

        var from = samples.First(s => s.Seconds >= seconds / 4.0);
        var to = samples[^1];
        var millions = result.Requests * (to.Seconds - from.Seconds) / Math.Max(1, to.Seconds) / 1e6;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"From {from.Seconds:N0} s to {to.Seconds:N0} s (about {millions:N1} million requests): resident {to.RssMb - from.RssMb:+0.0;-0.0} MB, managed heap {to.HeapMb - from.HeapMb:+0.0;-0.0} MB, GC committed {to.CommittedMb - from.CommittedMb:+0.0;-0.0} MB, threads {to.Threads - from.Threads:+0;-0;0}, descriptors {to.Descriptors - from.Descriptors:+0;-0;0}, data directory {(to.StoreBytes - from.StoreBytes) / 1024.0:+0;-0;0} KB, written to storage {(to.WrittenBytes - from.WrittenBytes) / 1024.0 / Math.Max(1, to.Seconds - from.Seconds):N1} KB/s; per million requests: resident {(to.RssMb - from.RssMb) / Math.Max(0.001, millions):+0.0;-0.0} MB, heap {(to.HeapMb - from.HeapMb) / Math.Max(0.001, millions):+0.0;-0.0} MB."));
    }
}
