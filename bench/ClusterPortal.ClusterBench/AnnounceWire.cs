using System.Globalization;
using System.Reflection;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// <c>wire-announce</c>: new sessions on one node (issue 13's "new sessions, one node" goal) against the platform's own
/// ceiling on the same machine in the same run — bare Kestrel reading the same JSON body and answering 201 with a body
/// of the same shape (<see cref="BareKestrel.RunAnnounceAsync"/>). Both are driven by wrk (<c>-t1</c>) with
/// <c>wire/announce.lua</c>, a fresh client id per request; the node is one fresh process started with
/// <c>--Cluster:Capacity=5000000 --Portal:SessionRateLimit=1000000</c> (room for every client, no 429), so each answer
/// is a 201 whose assignment the node also writes to its SQLite store (within <c>Persistence:MaxDelay</c>). Each target
/// is warmed up, then measured in alternating rounds; prints the medians, the ratio, and the server's CPU µs per
/// announce from <c>/proc</c>.
/// </summary>
internal static class AnnounceWire
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = WireBench.Option(args, "rounds", 3);
        var seconds = WireBench.Option(args, "seconds", 20);
        var warmUp = WireBench.Option(args, "warmup", 15);
        var connections = WireBench.Option(args, "connections", 32);
        await WireBench.EnsureToolsAsync();
        var load = ProcessCpu.LoadAverage();
        var script = Path.Combine(AppContext.BaseDirectory, "wire", "announce.lua");
        Cluster? cluster = null;
        try
        {
            Console.Error.WriteLine("Starting 1 node…");
            cluster = await Cluster.StartAsync(1, ["--Cluster:Capacity=5000000", "--Portal:SessionRateLimit=1000000", .. WireBench.NodeArguments(args)]);
            var node = cluster.Nodes[0];
            var probe = await cluster.AnnounceAsync(node, "wire-announce-probe");
            var self = Assembly.GetEntryAssembly()!.Location;
            var bare = await WireBench.StartAsync(cluster, "bare-announce", "dotnet", url => [self, "bare-announce", url, probe.Token]);
            (string Name, string Url, int Pid)[] targets = [("bare Kestrel: read the body, answer 201", bare.Url, bare.Pid), ("our node: announce a new client", node.Url, node.Pid)];
            var samples = targets.Select(_ => new List<(double Rate, double Cpu, long Errors)>()).ToArray();

            Console.Error.WriteLine($"Warm-up: {warmUp} s per target, then {rounds} alternating rounds × {seconds} s, wrk -t1 -c{connections} -s {script}");
            foreach (var target in targets)
            {
                await Wrk.RunScriptAsync(target.Url, script, connections, TimeSpan.FromSeconds(warmUp));
            }

            for (var round = 1; round <= rounds; round++)
            {
                for (var i = 0; i < targets.Length; i++)
                {
                    var before = ProcessCpu.Microseconds([targets[i].Pid]);
                    var result = await Wrk.RunScriptAsync(targets[i].Url, script, connections, TimeSpan.FromSeconds(seconds));
                    var cpu = (ProcessCpu.Microseconds([targets[i].Pid]) - before) / Math.Max(1, result.Requests);
                    samples[i].Add((result.PerSecond, cpu, result.Errors));
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  round {round}: {targets[i].Name,-42} {result.PerSecond,10:N0} req/s {cpu,7:N1} µs/req"));
                }
            }

            double Rate(int i) => Report.Median(samples[i].ConvertAll(s => s.Rate));
            string Row(int i, string ratio) => string.Create(CultureInfo.InvariantCulture,
                $"| {targets[i].Name} | {Rate(i):N0} ({string.Join(" / ", samples[i].Select(s => s.Rate.ToString("N0", CultureInfo.InvariantCulture)))}) | {ratio} | {Report.Median(samples[i].ConvertAll(s => s.Cpu)):N1} | {samples[i].Sum(s => s.Errors)} |");
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ClusterPortal announce bench — {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, .NET {Environment.Version}, wrk -t1 -c{connections} -s wire/announce.lua, median of {rounds} alternating rounds × {seconds} s after {warmUp} s of warm-up each, load average {load} before, {ProcessCpu.LoadAverage()} after"));
            Console.WriteLine();
            Console.WriteLine("| path | req/s (rounds) | ratio | server CPU µs/request | non-2xx/3xx |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            Console.WriteLine(Row(0, "anchor"));
            Console.WriteLine(Row(1, string.Create(CultureInfo.InvariantCulture, $"{Rate(1) / Rate(0):0.00}× bare")));
            return 0;
        }
        finally
        {
            cluster?.Dispose();
            ChildProcess.KillAll();
        }
    }
}
