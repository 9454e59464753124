using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ClusterPortal.ClusterBench;

/// <summary>Five ClusterPortal nodes as OS processes on loopback ports, from the portal's build output.</summary>
internal sealed class Cluster : IDisposable
{
    public const string ClusterKey = "bench-cluster-key-0123456789";
    public const string AdminKey = "bench-admin-key-0123456789";

    private readonly string _root;

    private Cluster(string root, IReadOnlyList<ChildProcess> nodes)
    {
        _root = root;
        Nodes = nodes;
    }

    public IReadOnlyList<ChildProcess> Nodes { get; }

    /// <summary>One client for control traffic (polls, announces); load uses its own clients.</summary>
    public HttpClient Http { get; } = CreateClient(64);

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClusterPortal.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("ClusterPortal.sln not found above " + AppContext.BaseDirectory);
    }

    public static string PortalDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        var dll = Path.Combine(RepositoryRoot(), "ClusterPortal", "bin", configuration, "net10.0", "ClusterPortal.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"Build the portal first: dotnet build -c {configuration} ClusterPortal", dll);
    }

    public static HttpClient CreateClient(int maxConnections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
        AllowAutoRedirect = false,
    })
    {
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Starts <paramref name="count"/> node processes one after the other and waits until all are Up everywhere.</summary>
    /// <param name="count">How many nodes.</param>
    /// <param name="extraArgs">More command-line settings for every node (e.g. <c>--Cluster:Capacity=…</c>).</param>
    public static async Task<Cluster> StartAsync(int count, params string[] extraArgs)
    {
        var root = Path.Combine(Path.GetTempPath(), "cluster-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var content = Path.Combine(root, "content");
        CopyDirectory(Path.Combine(RepositoryRoot(), "ClusterPortal", "SampleContent"), content);
        var dll = PortalDll();
        var ports = Enumerable.Range(0, count).Select(_ => FreePorts.One()).ToArray();
        var nodes = new List<ChildProcess>();
        try
        {
            await StartNodesAsync(root, content, dll, ports, nodes, extraArgs);
        }
        catch
        {
            new Cluster(root, nodes).Dispose();
            throw;
        }

        var cluster = new Cluster(root, nodes);
        if (await cluster.TryWaitAllUpAsync(TimeSpan.FromSeconds(30)) is { } views)
        {
            Notes.Add("After start, not all nodes Up everywhere within 30 s (continuing): " + views);
            Console.Error.WriteLine(Notes[^1]);
        }

        return cluster;
    }

    private static async Task StartNodesAsync(string root, string content, string dll, int[] ports, List<ChildProcess> nodes, string[] extraArgs)
    {
        for (var i = 0; i < ports.Length; i++)
        {
            var id = $"node-{i + 1}";
            var url = $"http://127.0.0.1:{ports[i]}";
            var data = Path.Combine(root, id);
            Directory.CreateDirectory(data);
            List<string> args =
            [
                dll,
                $"--Cluster:NodeId={id}",
                "--urls", url,
                $"--Cluster:Key={ClusterKey}",
                $"--Portal:AdminKey={AdminKey}",
                $"--Cluster:DataDirectory={data}",
                $"--Origin:Root={content}",
                "--Portal:SessionRateLimit=1000000",
                "--Logging:LogLevel:Default=Warning",
                "--webroot", Path.Combine(RepositoryRoot(), "ClusterPortal", "wwwroot"),
                .. extraArgs,
            ];
            if (i > 0)
            {
                args.Add($"--Cluster:Seeds:0=http://127.0.0.1:{ports[0]}");
            }

            nodes.Add(new ChildProcess(id, url, "dotnet", args, Path.GetDirectoryName(dll)!));
            // One at a time: a joining node stops if its seed is not reachable yet, and on 2 cores
            // several starting at once can miss the seed's 3 s backplane answer and stay alone.
            using var probe = CreateClient(1);
            await WaitReadyAsync(probe, nodes[i], TimeSpan.FromSeconds(60));
        }

    }

    public Task WaitReadyAsync(ChildProcess node, TimeSpan timeout) => WaitReadyAsync(Http, node, timeout);

    /// <summary>The node's <c>/metrics</c> (Prometheus text; the runtime's own meters among them), read with the admin key.</summary>
    public async Task<string[]> MetricsAsync(ChildProcess node)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, node.Url + "/metrics");
        request.Headers.Add("X-Admin-Key", AdminKey);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsStringAsync()).Split('\n');
    }

    /// <summary>The data directory of <paramref name="node"/> (<c>Cluster:DataDirectory</c>, under the run's scratch root).</summary>
    public string DataDirectoryOf(ChildProcess node) => Path.Combine(_root, node.Name);

    /// <summary>Polls <c>/health/ready</c> until 200; throws when the process exits or <paramref name="timeout"/> passes.</summary>
    internal static async Task WaitReadyAsync(HttpClient http, ChildProcess node, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (node.HasExited)
            {
                throw new InvalidOperationException($"{node.Name} exited during start.");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(node.Url + "/health/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too busy restoring to answer within the client's timeout.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{node.Name} not ready within {timeout}.");
    }

    /// <summary>Anomalies seen (printed under the table).</summary>
    public static List<string> Notes { get; } = [];

    /// <summary>Every node lists <paramref name="only"/> (or every node) as Up; throws after <paramref name="timeout"/>.</summary>
    public async Task WaitAllUpAsync(TimeSpan timeout, string? only = null)
    {
        if (await TryWaitAllUpAsync(timeout, only) is { } views)
        {
            throw new TimeoutException($"Not {only ?? "all nodes"} Up everywhere within {timeout}: {views}");
        }
    }

    /// <summary>As <see cref="WaitAllUpAsync"/>; null when reached, else every node's view.</summary>
    public async Task<string?> TryWaitAllUpAsync(TimeSpan timeout, string? only = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var allUp = true;
            foreach (var node in Nodes)
            {
                var states = await StatesAsync(node);
                if (states is null || Nodes.Where(n => only is null || n.Name == only).Any(n => !states.TryGetValue(n.Name, out var s) || s != "Up"))
                {
                    allUp = false;
                    break;
                }
            }

            if (allUp)
            {
                return null;
            }

            await Task.Delay(50);
        }

        var views = new List<string>();
        foreach (var node in Nodes)
        {
            var states = await StatesAsync(node);
            views.Add($"{node.Name}: " + (states is null ? "no answer" : string.Join(",", states.Select(kv => $"{kv.Key}={kv.Value}"))));
        }

        return string.Join("; ", views);
    }

    /// <summary><c>GET /api/cluster</c> of <paramref name="node"/>: nodeId → state, or null if it does not answer.</summary>
    public async Task<Dictionary<string, string>?> StatesAsync(ChildProcess node)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(node.Url + "/api/cluster"));
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            return doc.RootElement.GetProperty("nodes").EnumerateArray()
                .ToDictionary(n => n.GetProperty("nodeId").GetString()!, n => n.GetProperty("state").GetString()!);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    public sealed record Session(string ClientId, string PrimaryNodeId, string PrimaryUrl, string Token);

    public async Task<Session> AnnounceAsync(ChildProcess node, string clientId)
    {
        using var response = await Http.PostAsJsonAsync(new Uri(node.Url + "/api/sessions"), new { clientId });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/sessions at {node.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        var primary = doc.RootElement.GetProperty("primary");
        return new Session(clientId, primary.GetProperty("nodeId").GetString()!, primary.GetProperty("url").GetString()!,
            doc.RootElement.GetProperty("token").GetString()!);
    }

    public static HttpRequestMessage Authorized(HttpMethod method, string url, string token)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public void Dispose()
    {
        ChildProcess.KillAll();
        foreach (var node in Nodes)
        {
            node.KillHard(); // waits for the exit, so the data dirs are no longer in use
        }

        foreach (var node in Nodes)
        {
            node.Dispose();
        }

        Http.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
