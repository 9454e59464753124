using System.Globalization;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// <c>idle</c>: the CPU an idle five-node cluster spends per node (ticks, heartbeats, keep-alives, Hangfire's schedulers;
/// no client), as shipped and with the runtime's default thread-pool spinning
/// (<c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=70</c>, which overrides the node's runtimeconfig value 0), in
/// alternating rounds: each round starts a fresh cluster, lets it settle, then reads every node's CPU time (user +
/// system, <c>/proc/&lt;pid&gt;/stat</c>) and context switches (every thread's <c>/proc/&lt;pid&gt;/task/*/status</c>)
/// over the same window.
/// </summary>
internal static class IdleScenario
{
    private const string SpinVariable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";
    private const int Nodes = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = WireBench.Option(args, "rounds", 2);
        var seconds = WireBench.Option(args, "seconds", 20);
        if (rounds is < 1 or > 100 || seconds is < 1 or > 3600)
        {
            throw new FormatException("idle: 1 ≤ --rounds ≤ 100, 1 ≤ --seconds ≤ 3600.");
        }

        (string Name, string? Spin)[] variants = [("as shipped (spin limit 0)", null), ("runtime default (spin limit 70)", "70")];
        var cpu = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var switches = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var load = ProcessCpu.LoadAverage();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, spin) in variants)
            {
                Environment.SetEnvironmentVariable(SpinVariable, spin); // inherited by the nodes started now
                Cluster? cluster = null;
                try
                {
                    cluster = await Cluster.StartAsync(Nodes);
                    await Task.Delay(TimeSpan.FromSeconds(10)); // past the start: JIT, the first anti-entropy and Hangfire's first runs
                    var pids = cluster.Nodes.Select(n => n.Pid).ToArray();
                    var (cpuBefore, switchesBefore) = (ProcessCpu.Microseconds(pids), ContextSwitches(pids));
                    await Task.Delay(TimeSpan.FromSeconds(seconds));
                    var (cpuAfter, switchesAfter) = (ProcessCpu.Microseconds(pids), ContextSwitches(pids));
                    var percent = (cpuAfter - cpuBefore) / (seconds * 1_000_000.0) / Nodes * 100;
                    var perSecond = (switchesAfter - switchesBefore) / (double)seconds / Nodes;
                    cpu[name].Add(percent);
                    switches[name].Add(perSecond);
                    Console.Error.WriteLine($"  round {round}: {name,-32} {percent,5:0.00} % of a core per node, {perSecond,7:0} context switches/s per node");
                }
                finally
                {
                    cluster?.Dispose();
                    Environment.SetEnvironmentVariable(SpinVariable, null);
                }
            }
        }

        var shipped = Report.Median(cpu[variants[0].Name]);
        Console.WriteLine();
        Console.WriteLine($"ClusterPortal idle bench — {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, .NET {Environment.Version}, " +
            $"{Nodes} idle nodes, median of {rounds} alternating rounds × {seconds} s, load average {load} before");
        Console.WriteLine();
        Console.WriteLine("| node | CPU per node (% of a core) | ratio | context switches/s per node |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, _) in variants)
        {
            var median = Report.Median(cpu[name]);
            var ratio = name == variants[0].Name ? "anchor" : string.Create(CultureInfo.InvariantCulture, $"{median / shipped:0.0}× shipped");
            Console.WriteLine($"| {name} | {median:0.00} ({string.Join(" / ", cpu[name].Select(c => c.ToString("0.00", CultureInfo.InvariantCulture)))}) | {ratio} | {Report.Median(switches[name]):0} |");
        }

        return 0;
    }

    /// <summary>Voluntary and involuntary context switches of every thread of <paramref name="pids"/> now alive.</summary>
    private static long ContextSwitches(IEnumerable<int> pids)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    total += File.ReadLines(Path.Combine(task, "status"))
                        .Where(l => l.Contains("ctxt_switches:", StringComparison.Ordinal))
                        .Sum(l => long.Parse(l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture));
                }
                catch (IOException)
                {
                    // The thread exited while listing.
                }
            }
        }

        return total;
    }
}
