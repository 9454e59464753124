using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// <c>scale [clients] [entries]</c> (issue 16, "a million clients per node"): per store (SQLite; PostgreSQL too when
/// <c>CLUSTERPORTAL_BENCH_POSTGRES</c> holds a connection string to an existing database), writes the state of a node
/// with 1,000 clients and of one with <c>clients</c> clients (default 1,000,000, each with <c>entries</c> = 16 mirror
/// entries) through the node's persistence, starts each as a node process on that state (a restart), and reports time
/// to ready, working set and managed heap, a page of the dashboard's client list, and announces and 304s per second on
/// the large node against the small one (alternating rounds, ratio in one run).
/// </summary>
internal static class ScaleScenario
{
    private const int SmallClients = 1_000;
    private const int Rounds = 3;
    private static readonly TimeSpan s_round = TimeSpan.FromSeconds(4);

    private static int Positional(string given, string name) =>
        int.TryParse(given, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"scale [clients] [entries per client]: {name} takes a whole number, not '{given}'.");

    public static async Task<int> RunAsync(string[] args)
    {
        var clients = args.Length > 0 ? Positional(args[0], "clients") : 1_000_000;
        var entries = args.Length > 1 ? Positional(args[1], "entries per client") : 16;
        if (clients < SmallClients || entries < 1)
        {
            throw new FormatException($"scale [clients ≥ {SmallClients}] [entries per client ≥ 1]: got {clients} and {entries}.");
        }

        var postgres = Environment.GetEnvironmentVariable("CLUSTERPORTAL_BENCH_POSTGRES");
        var root = Path.Combine(Path.GetTempPath(), "scale-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var report = new List<string[]>();
        Console.CancelKeyPress += (_, _) => ChildProcess.KillAll();
        try
        {
            await RunProviderAsync("SQLite", root, null, clients, entries, report);
            if (!string.IsNullOrEmpty(postgres))
            {
                await RunProviderAsync("PostgreSQL", root, postgres, clients, entries, report);
            }
            else
            {
                report.Add(["PostgreSQL", "not run: set CLUSTERPORTAL_BENCH_POSTGRES to a connection string", "", ""]);
            }
        }
        finally
        {
            ChildProcess.KillAll();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Scale figures: {clients:N0} clients × {entries} mirror entries vs {SmallClients:N0} clients, {Environment.ProcessorCount} cores, load average {ProcessCpu.LoadAverage()}");
        Report.Print(report);
        return 0;
    }

    private static async Task RunProviderAsync(string provider, string root, string? postgres, int clients, int entries, List<string[]> report)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var small = await PrepareAsync(provider, root, postgres, $"small-{run}", SmallClients, entries, report);
        var large = await PrepareAsync(provider, root, postgres, $"large-{run}", clients, entries, report);
        using var smallNode = await StartAsync(provider, small, SmallClients, report);
        using var largeNode = await StartAsync(provider, large, clients, report);
        try
        {
            await ClientPageAsync(provider, largeNode, clients, report);
            await CompareAsync(provider, "304 via If-None-Match", await NotModifiedLoadAsync(smallNode), await NotModifiedLoadAsync(largeNode), clients, report);
            await CompareAsync(provider, "new sessions (POST /api/sessions, 201)", Announces(smallNode), Announces(largeNode), clients, report);
        }
        finally
        {
            smallNode.KillHard(); // the next store's figures are taken on a machine without these two
            largeNode.KillHard();
        }
    }

    private sealed record Prepared(string NodeId, Dictionary<string, string?> Settings);

    private static async Task<Prepared> PrepareAsync(string provider, string root, string? postgres, string nodeId, int clients, int entries, List<string[]> report)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:NodeId"] = nodeId,
            ["Cluster:Key"] = Cluster.ClusterKey,
            ["Cluster:Capacity"] = "10000000",
            ["Cluster:DataDirectory"] = Path.Combine(root, nodeId),
        };
        if (postgres is not null)
        {
            settings["Persistence:Provider"] = "PostgreSql";
            settings["Persistence:ConnectionString"] = postgres;
        }

        Console.Error.WriteLine($"{provider}: writing {clients:N0} clients × {entries} entries for {nodeId}…");
        var took = await ScaleSeed.WriteAsync(settings, nodeId, clients, entries);
        var rows = clients * (1L + entries); // an assignment and, after each entry, the whole mirror
        report.Add([$"{provider}: write {clients:N0} clients through the persistence writer", $"{took.TotalSeconds:0.0} s ({rows / took.TotalSeconds:N0} changes/s)", "", ""]);
        return new Prepared(nodeId, settings);
    }

    private static async Task<ChildProcess> StartAsync(string provider, Prepared prepared, int clients, List<string[]> report)
    {
        var url = $"http://127.0.0.1:{FreePorts.One()}";
        var content = Path.Combine(Cluster.RepositoryRoot(), "ClusterPortal", "SampleContent");
        List<string> args = [Cluster.PortalDll(), "--urls", url, $"--Portal:AdminKey={Cluster.AdminKey}", $"--Origin:Root={content}",
            "--Portal:SessionRateLimit=1000000", "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:ClusterEngine.Persistence.PersistenceRestorer=Information", // how long restoring took, by part
            "--webroot", Path.Combine(Cluster.RepositoryRoot(), "ClusterPortal", "wwwroot")];
        args.AddRange(prepared.Settings.Select(kv => $"--{kv.Key}={kv.Value}"));

        Console.Error.WriteLine($"{provider}: starting {prepared.NodeId} on its stored state ({clients:N0} clients)…");
        var started = Stopwatch.GetTimestamp();
        var node = new ChildProcess(prepared.NodeId, url, "dotnet", args, Path.GetDirectoryName(Cluster.PortalDll())!);
        using var http = Cluster.CreateClient(1);
        await Cluster.WaitReadyAsync(http, node, TimeSpan.FromMinutes(15));
        var ready = Stopwatch.GetElapsedTime(started);

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/api/clients?pageSize=1"))
        using (var response = await http.SendAsync(request.WithAdminKey()))
        {
            response.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var total = doc.RootElement.GetProperty("total").GetInt64();
            if (total != clients)
            {
                throw new InvalidOperationException($"{prepared.NodeId} restored {total:N0} clients, expected {clients:N0}.");
            }
        }

        var (workingSet, heap) = await MemoryAsync(http, node);
        var goal = clients >= 1_000_000 ? (provider == "SQLite" ? "≤ 15 s" : "≤ 30 s") : "";
        report.Add([$"{provider}: start to ready with {clients:N0} clients (restore)", $"{ready.TotalSeconds:0.0} s", goal,
            goal.Length == 0 ? "" : Report.Yes(ready.TotalSeconds <= (provider == "SQLite" ? 15 : 30))]);
        report.Add([$"{provider}: memory with {clients:N0} clients, working set / managed heap",
            $"{workingSet / 1048576.0:N0} MiB / {heap / 1048576.0:N0} MiB", clients >= 1_000_000 ? "≤ 1 GiB working set" : "",
            clients >= 1_000_000 ? Report.Yes(workingSet <= 1L << 30) : ""]);
        return node;
    }

    /// <summary>Working set from <c>/proc</c>; the managed heap after the last GC from the node's <c>System.Runtime</c> metrics.</summary>
    private static async Task<(long WorkingSet, long Heap)> MemoryAsync(HttpClient http, ChildProcess node)
    {
        var rss = File.ReadLines($"/proc/{node.Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var workingSet = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        using var request = new HttpRequestMessage(HttpMethod.Get, node.Url + "/metrics");
        using var response = await http.SendAsync(request.WithAdminKey());
        var text = await response.Content.ReadAsStringAsync();
        var heap = text.Split('\n')
            .Where(l => l.StartsWith("dotnet_gc_last_collection_heap_size_bytes", StringComparison.Ordinal))
            .Sum(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        return (workingSet, heap);
    }

    /// <summary>The dashboard's client list on the large node: the first and the last page of 50, median of 5 each.</summary>
    private static async Task ClientPageAsync(string provider, ChildProcess node, int clients, List<string[]> report)
    {
        using var http = Cluster.CreateClient(1);
        foreach (var (name, page) in new[] { ("first", 1), ("last", Math.Max(1, clients / 50)) })
        {
            var times = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{node.Url}/api/clients?page={page}&pageSize=50");
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request.WithAdminKey());
                response.EnsureSuccessStatusCode();
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            report.Add([$"{provider}: the {name} page of 50 of the client list (GET /api/clients) at {clients:N0} clients, median of 5",
                $"{Report.Median(times):0.0} ms", "", ""]);
        }
    }

    private static async Task<Func<Task<bool>>> NotModifiedLoadAsync(ChildProcess node)
    {
        var http = Cluster.CreateClient(32);
        var clientId = "probe-" + Guid.NewGuid().ToString("N")[..8];
        using var content = new StringContent("{\"clientId\":\"" + clientId + "\"}", Encoding.UTF8, "application/json");
        using var announced = await http.PostAsync(node.Url + "/api/sessions", content);
        announced.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await announced.Content.ReadAsStringAsync());
        var token = doc.RootElement.GetProperty("token").GetString()!;
        var item = $"{node.Url}/api/clients/{clientId}/items/hello.txt";
        using var first = Cluster.Authorized(HttpMethod.Get, item, token);
        using var response = await http.SendAsync(first);
        response.EnsureSuccessStatusCode();
        var etag = response.Headers.ETag!.ToString();
        return async () =>
        {
            using var request = Cluster.Authorized(HttpMethod.Get, item, token);
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var answer = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            if (answer.StatusCode != HttpStatusCode.NotModified)
            {
                Console.Error.WriteLine($"  {node.Name}: {(int)answer.StatusCode} instead of 304 ({answer.Headers.RetryAfter})");
            }

            return answer.StatusCode == HttpStatusCode.NotModified;
        };
    }

    private static Func<Task<bool>> Announces(ChildProcess node)
    {
        var http = Cluster.CreateClient(32);
        var run = Guid.NewGuid().ToString("N")[..6];
        long sequence = 0;
        return async () =>
        {
            var id = $"n-{run}-{Interlocked.Increment(ref sequence).ToString(CultureInfo.InvariantCulture)}";
            using var content = new StringContent("{\"clientId\":\"" + id + "\"}", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(node.Url + "/api/sessions", content).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.Created;
        };
    }

    /// <summary>Alternating rounds on the small and the large node after a warm-up of each; the ratio of the medians.</summary>
    private static async Task CompareAsync(string provider, string what, Func<Task<bool>> small, Func<Task<bool>> large, int clients, List<string[]> report)
    {
        await Scenarios.LoadAsync(small, s_round);
        await Scenarios.LoadAsync(large, s_round);
        var smallRates = new List<double>();
        var largeRates = new List<double>();
        long failed = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (s, sf) = await Scenarios.LoadAsync(small, s_round);
            var (l, lf) = await Scenarios.LoadAsync(large, s_round);
            smallRates.Add(s);
            largeRates.Add(l);
            failed += sf + lf;
            Console.Error.WriteLine($"  {what} round {round + 1}: {SmallClients:N0} clients {s:N0}/s, {clients:N0} clients {l:N0}/s");
        }

        var ratio = Report.Median(largeRates) / Report.Median(smallRates);
        report.Add([$"{provider}: {what}, {clients:N0} vs {SmallClients:N0} clients (median of {Rounds}×{s_round.TotalSeconds:0} s, 32 workers)",
            $"{Report.Median(largeRates):N0} vs {Report.Median(smallRates):N0} /s = {ratio:0.00}× ({failed} failed)", "≥ 0.8×", Report.Yes(ratio >= 0.8 && failed == 0)]);
    }
}

/// <summary>The admin credential on a request to a bench node.</summary>
internal static class AdminKeyExtensions
{
    public static HttpRequestMessage WithAdminKey(this HttpRequestMessage request)
    {
        request.Headers.Add("X-Admin-Key", Cluster.AdminKey);
        return request;
    }
}
