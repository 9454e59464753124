using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// <c>wire</c>: the data path side by side in one run (issue 13) — the 304 via the client's validator at our node against
/// bare Kestrel and nginx, and the forwarded GET through our non-primary node against a plain YARP forwarder and HAProxy
/// to the same primary (and plain YARP in front of bare Kestrel). wrk from Debian is the load (<c>-t1 -c32</c>), nginx
/// and HAProxy run from their config files beside this program (<c>wire/</c>); tools missing are installed with apt.
/// Each target is warmed up, then measured in alternating rounds; medians of the rounds, ratios, and the servers' CPU
/// per request from <c>/proc</c> (every process that serves the path, the forwarder and the primary both for a forward).
/// </summary>
internal static class WireBench
{
    private sealed record Target(string Name, string Url, Dictionary<string, string> Headers, Func<int[]> Pids);

    private sealed record Sample(double PerSecond, double CpuMicroseconds, long Errors);

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Option(args, "rounds", 3);
        var seconds = Option(args, "seconds", 5);
        var warmUp = Option(args, "warmup", 20);
        var connections = Option(args, "connections", 32);
        var allocSeconds = Option(args, "alloc-seconds", 10);
        await EnsureToolsAsync();
        if (allocSeconds > 0)
        {
            await RestoreDotnetToolsAsync(); // dotnet-counters, for the allocations per 304 after the rounds
        }

        var load = ProcessCpu.LoadAverage();

        var scratch = Path.Combine(Path.GetTempPath(), "wire-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(scratch);
        Cluster? cluster = null;
        try
        {
            Console.Error.WriteLine("Starting 2 nodes…");
            cluster = await Cluster.StartAsync(2);
            var (primary, entry) = (cluster.Nodes[0], cluster.Nodes[1]);
            var session = await SessionOnAsync(cluster, primary);
            var item = $"/api/clients/{session.ClientId}/items/hello.txt";
            var etag = await ETagAsync(cluster.Http, primary.Url + item, session.Token);
            var client = new Dictionary<string, string> { ["Authorization"] = "Bearer " + session.Token, ["If-None-Match"] = etag };

            var self = Assembly.GetEntryAssembly()!.Location;
            var bare = await StartAsync(cluster, "bare", "dotnet", url => [self, "bare", url, etag]);
            var yarp = await StartAsync(cluster, "yarp", "dotnet", url => [self, "yarp", url, primary.Url]);
            var yarpBare = await StartAsync(cluster, "yarp-bare", "dotnet", url => [self, "yarp", url, bare.Url]);
            var haproxy = await StartAsync(cluster, "haproxy", "haproxy", url => ["-db", "-f", Config(scratch, "haproxy.cfg", url, primary.Url[7..])]);
            var www = Path.Combine(scratch, "www");
            Directory.CreateDirectory(Path.Combine(www, Path.GetDirectoryName(item.TrimStart('/'))!));
            File.Copy(Path.Combine(Cluster.RepositoryRoot(), "ClusterPortal", "SampleContent", "hello.txt"), Path.Combine(www, item.TrimStart('/')));
            var nginx = await StartAsync(cluster, "nginx", "nginx", url => ["-p", scratch, "-c", Config(scratch, "nginx.conf", url, www)], "/" + item.TrimStart('/'));
            var nginxTag = await ETagAsync(cluster.Http, nginx.Url + item, null);

            Target[] targets =
            [
                new("bare Kestrel 304", bare.Url + item, client, () => [bare.Pid]),
                new("nginx 304 (static file, etag on)", nginx.Url + item, new() { ["If-None-Match"] = nginxTag }, () => [nginx.Pid]),
                new("our node: 304 via the client's validator", primary.Url + item, client, () => [primary.Pid]),
                new("plain YARP → bare Kestrel", yarpBare.Url + item, client, () => [yarpBare.Pid, bare.Pid]),
                new("plain YARP → our primary", yarp.Url + item, client, () => [yarp.Pid, primary.Pid]),
                new("HAProxy → our primary", haproxy.Url + item, client, () => [haproxy.Pid, primary.Pid]),
                new("our forward: non-primary node → primary", entry.Url + item, client, () => [entry.Pid, primary.Pid]),
            ];

            Console.Error.WriteLine($"Warm-up: {warmUp} s per target (JIT tiering), then {rounds} alternating rounds × {seconds} s, wrk -t1 -c{connections}");
            foreach (var target in targets)
            {
                await MeasureAsync(target, connections, TimeSpan.FromSeconds(warmUp), scratch);
            }

            var samples = targets.ToDictionary(t => t, _ => new List<Sample>());
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var target in targets)
                {
                    var sample = await MeasureAsync(target, connections, TimeSpan.FromSeconds(seconds), scratch);
                    samples[target].Add(sample);
                    Console.Error.WriteLine($"  round {round}: {target.Name,-45} {sample.PerSecond,10:N0} req/s {sample.CpuMicroseconds,7:N1} µs/req");
                }
            }

            Print(targets, samples, rounds, seconds, connections, load);
            if (allocSeconds > 0)
            {
                // After the rounds, so the counters tool's own CPU never lands in a measured round.
                var bareBytes = await BytesPerRequestAsync(targets[0], connections, TimeSpan.FromSeconds(allocSeconds), scratch);
                var ourBytes = await BytesPerRequestAsync(targets[2], connections, TimeSpan.FromSeconds(allocSeconds), scratch);
                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Allocated per 304 (dotnet-counters `dotnet.gc.heap.total_allocated`, median rate over {allocSeconds} s of the same load, ÷ wrk's rate): bare Kestrel {bareBytes:N0} B, our node {ourBytes:N0} B ({ourBytes / bareBytes:0.0}× bare)."));
            }

            return 0;
        }
        finally
        {
            cluster?.Dispose();
            ChildProcess.KillAll();
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<Sample> MeasureAsync(Target target, int connections, TimeSpan duration, string scratch)
    {
        var pids = target.Pids();
        var before = ProcessCpu.Microseconds(pids);
        var result = await Wrk.RunAsync(target.Url, target.Headers, connections, duration, scratch);
        var cpu = ProcessCpu.Microseconds(pids) - before;
        return new Sample(result.PerSecond, cpu / Math.Max(1, result.Requests), result.Errors);
    }

    /// <summary>Bytes the target's serving process allocates per request under wrk (<see cref="AllocationRate"/>).</summary>
    private static async Task<double> BytesPerRequestAsync(Target target, int connections, TimeSpan duration, string scratch)
    {
        await using var rate = AllocationRate.Start(target.Pids()[0], duration, scratch);
        var result = await Wrk.RunAsync(target.Url, target.Headers, connections, duration + TimeSpan.FromSeconds(2), scratch);
        var bytes = await rate.MedianBytesPerSecondAsync() / result.PerSecond;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  allocations: {target.Name,-45} {bytes,10:N0} B/req"));
        return bytes;
    }

    private static void Print(Target[] targets, Dictionary<Target, List<Sample>> samples, int rounds, int seconds, int connections, string loadBefore)
    {
        double Rate(int i) => Report.Median(samples[targets[i]].ConvertAll(s => s.PerSecond));
        double Cpu(int i) => Report.Median(samples[targets[i]].ConvertAll(s => s.CpuMicroseconds));
        string Row(int i, string ratio) => string.Create(CultureInfo.InvariantCulture,
            $"| {targets[i].Name} | {Rate(i):N0} | {ratio} | {Cpu(i):N1} | {samples[targets[i]].Sum(s => s.Errors)} |");
        string Ratio(int i, int anchor, string name) => string.Create(CultureInfo.InvariantCulture, $"{Rate(i) / Rate(anchor):0.00}× {name}");

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ClusterPortal wire bench — {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, .NET {Environment.Version}, wrk -t1 -c{connections}, median of {rounds} alternating rounds × {seconds} s, load average {loadBefore} before, {ProcessCpu.LoadAverage()} after"));
        Console.WriteLine();
        Console.WriteLine("| path | req/s | ratio | server CPU µs/request | non-2xx/3xx |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(Row(0, "anchor"));
        Console.WriteLine(Row(1, Ratio(1, 0, "bare")));
        Console.WriteLine(Row(2, Ratio(2, 0, "bare") + ", " + Ratio(2, 1, "nginx")));
        Console.WriteLine(Row(3, Ratio(3, 0, "bare")));
        Console.WriteLine(Row(4, "anchor"));
        Console.WriteLine(Row(5, Ratio(5, 4, "plain YARP")));
        Console.WriteLine(Row(6, Ratio(6, 4, "plain YARP") + ", " + Ratio(6, 5, "HAProxy") + ", " + Ratio(6, 2, "primary direct")));
    }

    /// <summary>Announces clients at <paramref name="primary"/> until one is placed there.</summary>
    private static async Task<Cluster.Session> SessionOnAsync(Cluster cluster, ChildProcess primary)
    {
        for (var i = 0; i < 20; i++)
        {
            var session = await cluster.AnnounceAsync(primary, $"wire-{i}");
            if (session.PrimaryNodeId == primary.Name)
            {
                return session;
            }
        }

        throw new InvalidOperationException($"No client was placed on {primary.Name}.");
    }

    internal static async Task<string> ETagAsync(HttpClient http, string url, string? token)
    {
        using var request = token is null ? new HttpRequestMessage(HttpMethod.Get, url) : Cluster.Authorized(HttpMethod.Get, url, token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return response.Headers.ETag?.ToString() ?? throw new InvalidOperationException($"No ETag from {url}.");
    }

    internal static async Task<ChildProcess> StartAsync(Cluster cluster, string name, string program, Func<string, string[]> arguments, string readyPath = "/health/ready")
    {
        var url = $"http://127.0.0.1:{FreePorts.One()}";
        var child = new ChildProcess(name, url, program, arguments(url), AppContext.BaseDirectory);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !child.HasExited)
        {
            try
            {
                using var response = await cluster.Http.GetAsync(new Uri(url + readyPath));
                if ((int)response.StatusCode < 500)
                {
                    return child;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"{name} did not start on {url} (see its lines above).");
    }

    /// <summary>Writes <c>wire/<paramref name="file"/></c> with its placeholders filled in and returns the written path.</summary>
    private static string Config(string scratch, string file, string url, string target)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "wire", file))
            .Replace("{{port}}", new Uri(url).Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{prefix}}", scratch, StringComparison.Ordinal)
            .Replace("{{root}}", target, StringComparison.Ordinal)
            .Replace("{{upstream}}", target, StringComparison.Ordinal);
        var path = Path.Combine(scratch, file);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>wrk, nginx and HAProxy from Debian, installed with apt-get when one is missing.</summary>
    internal static async Task EnsureToolsAsync()
    {
        string[] tools = ["wrk", "nginx", "haproxy"];
        if (tools.All(OnPath))
        {
            return;
        }

        Console.Error.WriteLine("Installing wrk, nginx-light and haproxy with apt-get…");
        foreach (var command in new[] { new[] { "update", "-qq" }, ["install", "-y", "-qq", "wrk", "nginx-light", "haproxy"] })
        {
            var start = new ProcessStartInfo("apt-get") { UseShellExecute = false };
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            foreach (var a in command)
            {
                start.ArgumentList.Add(a);
            }

            using var apt = Process.Start(start)!;
            await apt.WaitForExitAsync();
        }

        if (tools.FirstOrDefault(t => !OnPath(t)) is { } missing)
        {
            throw new InvalidOperationException($"{missing} is not installed and apt-get could not install it (run as root, or install it yourself).");
        }
    }

    /// <summary>
    /// <c>dotnet tool restore</c> in the repository (the local tools of <c>.config/dotnet-tools.json</c>): a fresh clone has
    /// not restored <c>dotnet-counters</c>, and finding out after the rounds lost the run's last figure.
    /// </summary>
    private static async Task RestoreDotnetToolsAsync()
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, WorkingDirectory = Cluster.RepositoryRoot() };
        start.ArgumentList.Add("tool");
        start.ArgumentList.Add("restore");
        using var restore = Process.Start(start)!;
        var output = await restore.StandardOutput.ReadToEndAsync();
        await restore.WaitForExitAsync();
        if (restore.ExitCode != 0)
        {
            throw new InvalidOperationException($"`dotnet tool restore` failed (exit code {restore.ExitCode}) in {Cluster.RepositoryRoot()}: {output.Trim()}");
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)))
        || File.Exists(Path.Combine("/usr/sbin", tool));

    internal static int Option(string[] args, string name, int fallback) =>
        args.FirstOrDefault(a => a.StartsWith($"--{name}=", StringComparison.Ordinal)) is not { } given
            ? fallback
            : int.TryParse(given[(name.Length + 3)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new FormatException($"--{name} takes a whole number, not '{given[(name.Length + 3)..]}'.");

    /// <summary>Every <c>--node=--Key=value</c> argument, as the node's own argument (<c>--Key=value</c>): a setting to try without editing the bench.</summary>
    internal static string[] NodeArguments(string[] args) =>
        [.. args.Where(a => a.StartsWith("--node=", StringComparison.Ordinal)).Select(a => a["--node=".Length..])];
}
