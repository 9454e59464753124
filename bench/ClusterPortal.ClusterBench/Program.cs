using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using ClusterPortal.ClusterBench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// Child modes (`yarp`, `bare`, `bare-announce`) and the `wire`/`wire-announce`/`soak` benches (Modes.cs).
// `scale`: one node with a million clients against one with a thousand (ScaleScenario.cs).
try
{
    if (await Modes.TryRunAsync(args) is { } exitCode)
    {
        return exitCode;
    }

    if (args is ["scale", ..])
    {
        return await ScaleScenario.RunAsync(args[1..]);
    }
}
catch (FormatException e) // an option or argument that is not a whole number, or out of its range
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

Console.CancelKeyPress += (_, _) => ChildProcess.KillAll();
AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

// "announces": only the cost of a first announce on a 3-node cluster (docs/identity.md).
// "propagation": only the time from an announce to its assignment on all five nodes (a quicker look than the whole run).
var announcesOnly = args is ["announces"];
var propagationOnly = args is ["propagation"];
var nodeCount = announcesOnly ? 3 : 5;
var report = new List<string[]>();
Cluster? cluster = null;
try
{
    Console.Error.WriteLine($"Starting {nodeCount} nodes…");
    // The announce mode places hundreds of thousands of clients: room for all of them (a full cluster answers 503).
    cluster = announcesOnly ? await Cluster.StartAsync(nodeCount, "--Cluster:Capacity=5000000") : await Cluster.StartAsync(nodeCount);
    Console.Error.WriteLine($"All {nodeCount} nodes Up everywhere.");

    if (announcesOnly)
    {
        await AnnounceScenario.RunAsync(cluster, report);
    }
    else if (propagationOnly)
    {
        await PropagationScenario.RunAsync(cluster, report);
    }
    else
    {
        await Scenarios.ForwardedGetAsync(cluster, report);
        await PropagationScenario.RunAsync(cluster, report);
        await Scenarios.KillToDownAsync(cluster, report);
        await Scenarios.FreezeToDownAsync(cluster, report);
    }
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
{
    Console.Error.WriteLine("Benchmark failed: " + e);
    report.Add(["(aborted)", e.Message, "", ""]);
}
finally
{
    cluster?.Dispose();
    ChildProcess.KillAll();
}

Report.Print(report);
foreach (var note in Cluster.Notes)
{
    Console.WriteLine("Note: " + note);
}

return 0;

internal static class Report
{
    public static void Print(List<string[]> rows)
    {
        string[] header = ["Measurement", "Result", "Target", "Met"];
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, 4).Select(c => all.Max(r => r[c].Length)).ToArray();
        Console.WriteLine();
        Console.WriteLine($"ClusterPortal.ClusterBench — {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, .NET {Environment.Version}");
        for (var i = 0; i < all.Count; i++)
        {
            Console.WriteLine("| " + string.Join(" | ", all[i].Select((cell, c) => cell.PadRight(widths[c]))) + " |");
            if (i == 0)
            {
                Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
            }
        }
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Yes(bool met) => met ? "yes" : "NO";
}

internal static class Scenarios
{
    private const int Workers = 32;
    private const int Rounds = 3;
    private static readonly TimeSpan s_round = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan s_warmUp = TimeSpan.FromSeconds(4);

    public static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    // 1. Forwarded 304 GET (non-primary node → primary, YARP inside the node) vs plain YARP forwarder → same primary.
    public static async Task ForwardedGetAsync(Cluster cluster, List<string[]> report)
    {
        var session = await cluster.AnnounceAsync(cluster.Nodes[0], "bench-forward");
        var primary = cluster.Nodes.Single(n => n.Name == session.PrimaryNodeId);
        var entry = cluster.Nodes.First(n => n.Name != session.PrimaryNodeId);
        var item = $"/api/clients/{session.ClientId}/items/hello.txt";

        string etag;
        using (var first = Cluster.Authorized(HttpMethod.Get, primary.Url + item, session.Token))
        using (var response = await cluster.Http.SendAsync(first))
        {
            response.EnsureSuccessStatusCode();
            etag = response.Headers.ETag?.ToString() ?? throw new InvalidOperationException("No ETag on the item.");
        }

        var yarpUrl = $"http://127.0.0.1:{FreePorts.One()}";
        var self = Assembly.GetEntryAssembly()!.Location;
        using var yarp = new ChildProcess("yarp", yarpUrl, "dotnet", [self, "yarp", yarpUrl, primary.Url], AppContext.BaseDirectory);
        await cluster.WaitReadyAsync(yarp, TimeSpan.FromSeconds(30));

        using var toNode = Cluster.CreateClient(Workers);
        using var toYarp = Cluster.CreateClient(Workers);
        Func<Task<bool>> node = () => Send(toNode, entry.Url + item, session.Token, etag);
        Func<Task<bool>> plain = () => Send(toYarp, yarpUrl + item, session.Token, etag);
        if (!await node() || !await plain())
        {
            throw new InvalidOperationException("The forwarded or the plain-YARP GET did not answer 304.");
        }

        await LoadAsync(node, s_warmUp);
        await LoadAsync(plain, s_warmUp);
        var nodeRates = new List<double>();
        var yarpRates = new List<double>();
        long failed = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (n, nf) = await LoadAsync(node, s_round);
            var (y, yf) = await LoadAsync(plain, s_round);
            nodeRates.Add(n);
            yarpRates.Add(y);
            failed += nf + yf;
            Console.Error.WriteLine($"  round {round + 1}: forwarded {n:N0} req/s, plain YARP {y:N0} req/s ({nf + yf} failed)");
        }

        yarp.KillHard();
        var ratio = Report.Median(nodeRates) / Report.Median(yarpRates);
        report.Add([$"1. 304 GET via non-primary {entry.Name} → {primary.Name} (median of {Rounds}×{s_round.TotalSeconds:0} s, {Workers} workers)",
            $"{Report.Median(nodeRates):N0} req/s (rounds {string.Join(", ", nodeRates.Select(r => r.ToString("N0")))})", "", ""]);
        report.Add(["   same GET via plain YARP MapForwarder → same primary",
            $"{Report.Median(yarpRates):N0} req/s (rounds {string.Join(", ", yarpRates.Select(r => r.ToString("N0")))})", "", ""]);
        report.Add(["   ratio forwarded / plain YARP", $"{ratio:0.00}× ({failed} failed requests)", "≥ 0.90×", Report.Yes(ratio >= 0.9 && failed == 0)]);
    }

    private static async Task<bool> Send(HttpClient client, string url, string token, string etag)
    {
        using var request = Cluster.Authorized(HttpMethod.Get, url, token);
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotModified;
    }

    internal static async Task<(double PerSecond, long Failed)> LoadAsync(Func<Task<bool>> send, TimeSpan duration)
    {
        long ok = 0, failed = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                bool success;
                try
                {
                    success = await send().ConfigureAwait(false);
                }
                catch (HttpRequestException e)
                {
                    Console.Error.WriteLine("  request failed: " + e.Message);
                    success = false;
                }

                if (success)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (ok / elapsed, failed);
    }

    // 3. kill -9 → Down on all survivors (GET /api/cluster every 5 ms), 3×.
    public static async Task KillToDownAsync(Cluster cluster, List<string[]> report)
    {
        var victim = cluster.Nodes[4];
        var results = new List<(double Suspect, double Down)>();
        for (var rep = 0; rep < 3; rep++)
        {
            var start = Stopwatch.GetTimestamp();
            Signals.Send(victim.Pid, Signals.SigKill);
            var r = await WaitDownAsync(cluster, victim, start, TimeSpan.FromSeconds(15));
            results.Add(r);
            Console.Error.WriteLine($"  kill {rep + 1}: first non-Up {r.Suspect:0.0} ms, Down on all {r.Down:0.0} ms");
            victim.KillHard(); // reap
            victim.Restart();
            await cluster.WaitReadyAsync(victim, TimeSpan.FromSeconds(60));
            await cluster.WaitAllUpAsync(TimeSpan.FromSeconds(60), victim.Name);
            await NoteNotAllUpAsync(cluster, $"after restart {rep + 1} of {victim.Name}");
        }

        var downs = results.Select(r => r.Down).ToList();
        report.Add([$"3. kill -9 {victim.Name} → Down on all 4 survivors (5 ms polls), 3 runs",
            $"{string.Join(", ", downs.Select(d => d.ToString("0", CultureInfo.InvariantCulture)))} ms (median {Report.Median(downs):0}); first Suspect/Down seen at {string.Join(", ", results.Select(r => r.Suspect.ToString("0", CultureInfo.InvariantCulture)))} ms",
            "≤ 200 ms", Report.Yes(downs.All(d => d <= 200))]);
    }

    // 4. SIGSTOP → Down on all peers, SIGCONT, wait Up everywhere; 3×.
    public static async Task FreezeToDownAsync(Cluster cluster, List<string[]> report)
    {
        var victim = cluster.Nodes[3];
        var results = new List<(double Suspect, double Down)>();
        var rejoin = new List<double>();
        for (var rep = 0; rep < 3; rep++)
        {
            var start = Stopwatch.GetTimestamp();
            Signals.Send(victim.Pid, Signals.SigStop);
            (double, double) r;
            try
            {
                r = await WaitDownAsync(cluster, victim, start, TimeSpan.FromSeconds(15));
            }
            finally
            {
                Signals.Send(victim.Pid, Signals.SigCont);
            }

            results.Add(r);
            var cont = Stopwatch.GetTimestamp();
            await cluster.WaitAllUpAsync(TimeSpan.FromSeconds(60), victim.Name);
            rejoin.Add(Ms(cont, Stopwatch.GetTimestamp()));
            await NoteNotAllUpAsync(cluster, $"after SIGCONT {rep + 1} of {victim.Name}");
            Console.Error.WriteLine($"  freeze {rep + 1}: first non-Up {r.Item1:0.0} ms, Down on all {r.Item2:0.0} ms; Up everywhere {rejoin[^1]:0} ms after SIGCONT");
        }

        var downs = results.Select(r => r.Down).ToList();
        report.Add([$"4. SIGSTOP {victim.Name} → Down on all 4 peers (5 ms polls), 3 runs",
            $"{string.Join(", ", downs.Select(d => d.ToString("0", CultureInfo.InvariantCulture)))} ms (median {Report.Median(downs):0}); first Suspect/Down seen at {string.Join(", ", results.Select(r => r.Suspect.ToString("0", CultureInfo.InvariantCulture)))} ms",
            "≤ 1500 ms", Report.Yes(downs.All(d => d <= 1500))]);
        report.Add(["   SIGCONT → Up again everywhere", $"{string.Join(", ", rejoin.Select(d => d.ToString("0", CultureInfo.InvariantCulture)))} ms", "", ""]);
    }

    private static async Task NoteNotAllUpAsync(Cluster cluster, string when)
    {
        if (await cluster.TryWaitAllUpAsync(TimeSpan.FromSeconds(5)) is { } views)
        {
            Cluster.Notes.Add($"{when}: not all nodes Up everywhere within 5 s: {views}");
            Console.Error.WriteLine(Cluster.Notes[^1]);
        }
    }

    /// <summary>Polls each survivor's /api/cluster every 5 ms; returns (first non-Up anywhere, Down on all) in ms since <paramref name="start"/>.</summary>
    private static async Task<(double Suspect, double Down)> WaitDownAsync(Cluster cluster, ChildProcess victim, long start, TimeSpan timeout)
    {
        var survivors = cluster.Nodes.Where(n => n != victim).ToArray();
        var firstNotUp = double.NaN;
        var lockObject = new object();
        var polls = survivors.Select(async node =>
        {
            var deadline = start + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var states = await cluster.StatesAsync(node);
                var now = Stopwatch.GetTimestamp();
                if (states is not null && states.TryGetValue(victim.Name, out var state))
                {
                    if (state != "Up")
                    {
                        lock (lockObject)
                        {
                            var t = Ms(start, now);
                            firstNotUp = double.IsNaN(firstNotUp) ? t : Math.Min(firstNotUp, t);
                        }
                    }

                    if (state == "Down")
                    {
                        return Ms(start, now);
                    }
                }

                await Task.Delay(5);
            }

            throw new TimeoutException($"{node.Name} did not see {victim.Name} Down within {timeout}.");
        }).ToArray();
        var downs = await Task.WhenAll(polls);
        return (firstNotUp, downs.Max());
    }
}
