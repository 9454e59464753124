using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// A cluster of N portal nodes as real OS processes (<c>dotnet ClusterPortal.dll</c>) on free loopback ports,
/// each with a temporary data directory (deleted on dispose), for failure tests that need what an
/// in-process cluster cannot do: <c>kill -9</c>, SIGSTOP/SIGCONT, SIGTERM, restart on the same data directory.
/// </summary>
public sealed partial class ProcessCluster : IAsyncDisposable
{
    public const string ClusterKey = "process-cluster-key-0123456789";
    public const string AdminKey = "process-cluster-admin-0123456789";
    private readonly string _root = Directory.CreateTempSubdirectory("process-cluster-").FullName;

    private ProcessCluster(int count, IReadOnlyList<string>? extraArgs = null, NodeHosting? hosting = null)
    {
        ExtraArgs = extraArgs ?? [];
        Hosting = hosting;
        Http = new HttpClient(hosting?.Handler() ?? new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };
        for (var i = 1; i <= count; i++)
        {
            var url = hosting?.Url(i - 1) ?? string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePorts.One()}");
            Nodes.Add(new Node(this, string.Create(CultureInfo.InvariantCulture, $"node-{i}"), url, Path.Combine(_root, $"node-{i}")));
        }
    }

    /// <summary>Where the nodes run when not on loopback (null: loopback ports of this machine).</summary>
    public NodeHosting? Hosting { get; }

    public List<Node> Nodes { get; } = [];

    /// <summary>Extra command-line arguments given to every node after the defaults (later settings win), e.g. <c>--Mirror:SyncPolicy=Periodic</c>.</summary>
    public IReadOnlyList<string> ExtraArgs { get; }

    public Node this[int index] => Nodes[index];

    /// <summary>Short timeouts: used to poll views and announce (never blocks a test for long).</summary>
    public HttpClient Http { get; }

    /// <summary>Starts <paramref name="count"/> nodes (node-1 first, the others seeded with it) and waits for all Up everywhere.</summary>
    public static async Task<ProcessCluster> StartAsync(int count, IReadOnlyList<string>? extraArgs = null, NodeHosting? hosting = null, int upTimeoutMs = 30_000)
    {
        var cluster = new ProcessCluster(count, extraArgs, hosting);
        try
        {
            cluster[0].Start();
            await cluster[0].WaitReadyAsync(Math.Max(60_000, upTimeoutMs));
            foreach (var node in cluster.Nodes.Skip(1))
            {
                node.Start();
            }

            await Task.WhenAll(cluster.Nodes.Skip(1).Select(n => n.WaitReadyAsync(Math.Max(60_000, upTimeoutMs))));
            await cluster.WaitAllUpAsync(upTimeoutMs);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The portal build output beside the test build (same configuration).</summary>
    public static string PortalDll
    {
        get
        {
            var testDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            var configuration = Path.GetFileName(Path.GetDirectoryName(testDir))!;
            var dll = Path.GetFullPath(Path.Combine(testDir, "..", "..", "..", "..", "ClusterPortal", "bin", configuration, "net10.0", "ClusterPortal.dll"));
            Assert.True(File.Exists(dll), $"ClusterPortal build output not found at {dll}");
            return dll;
        }
    }

    /// <summary>Every node's state (by id) as <paramref name="observer"/> sees it (<c>GET /api/cluster</c>, anonymous from loopback).</summary>
    public async Task<Dictionary<string, string>> StatesAsync(Node observer)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri(observer.Url + "/api/cluster")));
        return doc.RootElement.GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("nodeId").GetString()!, n => n.GetProperty("state").GetString()!);
    }

    /// <summary>The state of <paramref name="subject"/> as <paramref name="observer"/> sees it, or null when the observer does not answer.</summary>
    public async Task<string?> StateAsync(Node observer, Node subject)
    {
        try
        {
            return (await StatesAsync(observer)).GetValueOrDefault(subject.NodeId);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Primary counts by node as <paramref name="observer"/> sees them.</summary>
    public async Task<Dictionary<string, int>> PrimaryCountsAsync(Node observer)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri(observer.Url + "/api/cluster")));
        return doc.RootElement.GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("nodeId").GetString()!, n => n.GetProperty("primaryCount").GetInt32());
    }

    /// <summary>Every assignment as <paramref name="observer"/> sees it: client id → (primary, alternate), with the admin key (every page).</summary>
    public async Task<SortedDictionary<string, (string Primary, string? Alternate)>> ClientsAsync(Node observer, HttpClient? http = null)
    {
        http ??= Http;
        var result = new SortedDictionary<string, (string, string?)>(StringComparer.Ordinal);
        for (var page = 1; ; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(observer.Url + $"/api/clients?pageSize=500&page={page}"));
            request.Headers.Add("X-Admin-Key", AdminKey);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var items = doc.RootElement.GetProperty("items");
            foreach (var item in items.EnumerateArray())
            {
                var alternate = item.GetProperty("alternate");
                result[item.GetProperty("clientId").GetString()!] = (item.GetProperty("primary").GetProperty("nodeId").GetString()!,
                    alternate.ValueKind == JsonValueKind.Null ? null : alternate.GetProperty("nodeId").GetString());
            }

            if (items.GetArrayLength() < 500 || result.Count >= doc.RootElement.GetProperty("total").GetInt32())
            {
                return result;
            }
        }
    }

    /// <summary>Every member as <paramref name="observer"/> sees it: node id → (state, url).</summary>
    public async Task<Dictionary<string, (string State, string Url)>> MembersAsync(Node observer)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri(observer.Url + "/api/cluster")));
        return doc.RootElement.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("nodeId").GetString()!,
            n => (n.GetProperty("state").GetString()!, n.GetProperty("url").GetString()!));
    }

    /// <summary>An operator call with the admin key (<paramref name="body"/> as JSON when given).</summary>
    public async Task<HttpResponseMessage> AdminAsync(HttpMethod method, Node at, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(at.Url + path));
        request.Headers.Add("X-Admin-Key", AdminKey);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await Http.SendAsync(request);
    }

    /// <summary>
    /// A process that is not a member of this cluster's node list (not watched, not compared): its own free port and data
    /// directory, seeded with node-1 like the others; e.g. a second process claiming an id that is in use.
    /// </summary>
    public Node CreateExtra(string nodeId) =>
        new(this, nodeId, string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePorts.One()}"), Path.Combine(_root, $"{nodeId}-extra-{Guid.NewGuid():N}"));

    /// <summary>
    /// Waits until every running node that is not frozen (or <paramref name="observers"/>) holds the same <paramref name="clients"/> assignments,
    /// each with an alternate while two or more nodes run and primary counts that add up, and (when <paramref name="without"/> is
    /// given) no assignment naming that node: views that agree before the failover of a Down node are not yet settled.
    /// Returns the elapsed ms and the agreed view.
    /// </summary>
    public async Task<(long Milliseconds, SortedDictionary<string, (string Primary, string? Alternate)> View)> WaitViewsAgreeAsync(
        int clients, int timeoutMs = 30_000, IReadOnlyList<Node>? observers = null, string? without = null)
    {
        var running = observers ?? Nodes.Where(n => n.IsRunning && !n.IsFrozen).ToList();
        var watch = Stopwatch.StartNew();
        SortedDictionary<string, (string, string?)>? agreed = null;
        var last = "";
        await Eventually.True(async () =>
        {
            try
            {
                var views = new List<SortedDictionary<string, (string Primary, string? Alternate)>>();
                foreach (var node in running)
                {
                    var view = await ClientsAsync(node);
                    var counts = await PrimaryCountsAsync(node);
                    if (view.Count != clients || counts.Values.Sum() != clients)
                    {
                        last = $"{node.NodeId}: {view.Count} clients, primary counts {string.Join(",", counts)}";
                        return false;
                    }

                    if (running.Count >= 2 && view.FirstOrDefault(kv => kv.Value.Alternate is null) is { Key: not null } orphan)
                    {
                        last = $"{node.NodeId}: {orphan.Key} has no alternate (primary {orphan.Value.Primary})";
                        return false;
                    }

                    if (without is not null && view.FirstOrDefault(kv => kv.Value.Primary == without || kv.Value.Alternate == without) is { Key: not null } stale)
                    {
                        last = $"{node.NodeId}: {stale.Key} still names {without} ({stale.Value.Primary}, {stale.Value.Alternate})";
                        return false;
                    }

                    views.Add(view);
                }

                var first = views[0];
                for (var i = 1; i < views.Count; i++)
                {
                    var differ = first.Where(kv => !views[i].TryGetValue(kv.Key, out var other) || other != kv.Value).Select(kv => kv.Key).ToList();
                    if (differ.Count > 0)
                    {
                        last = $"{running[0].NodeId} and {running[i].NodeId} disagree on {differ.Count} client(s), e.g. {differ[0]}: "
                            + $"{first[differ[0]]} vs {(views[i].TryGetValue(differ[0], out var o) ? o.ToString() : "missing")}";
                        return false;
                    }
                }

                agreed = first;
                return true;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
                return false;
            }
        }, $"the views of {string.Join(", ", running.Select(n => n.NodeId))} agree on {clients} clients, each with an alternate{(without is null ? "" : ", none naming " + without)}", timeoutMs, () => last + "\n" + Describe());
        return (watch.ElapsedMilliseconds, agreed!);
    }

    /// <summary>Announces <paramref name="clientId"/> at <paramref name="at"/>; returns the primary node id and the bearer token.</summary>
    public async Task<(string Primary, string Token)> AnnounceAsync(Node at, string clientId)
    {
        using var response = await Http.PostAsJsonAsync(new Uri(at.Url + "/api/sessions"), new { clientId });
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"announce {clientId}: {(int)response.StatusCode}");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (doc.RootElement.GetProperty("primary").GetProperty("nodeId").GetString()!, doc.RootElement.GetProperty("token").GetString()!);
    }

    /// <summary>GET of <paramref name="clientId"/>'s item <c>hello.txt</c> at <paramref name="at"/> with its bearer <paramref name="token"/>.</summary>
    public async Task<HttpResponseMessage> GetItemAsync(Node at, string clientId, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{at.Url}/api/clients/{clientId}/items/hello.txt"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return await Http.SendAsync(request);
    }

    /// <summary>Announces <paramref name="count"/> new clients <c>{prefix}-000</c>… at the nodes in turn; returns their ids and tokens.</summary>
    public async Task<List<(string ClientId, string Token)>> AnnounceManyAsync(string prefix, int count)
    {
        var result = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var id = $"{prefix}-{i:D3}";
            var (_, token) = await AnnounceAsync(this[i % Nodes.Count], id);
            result.Add((id, token));
        }

        return result;
    }

    /// <summary>Waits until every running node sees every running node Up.</summary>
    public Task WaitAllUpAsync(int timeoutMs = 30_000)
    {
        var running = Nodes.Where(n => n.IsRunning).ToList();
        return Eventually.True(async () =>
        {
            foreach (var observer in running)
            {
                foreach (var subject in running)
                {
                    if (await StateAsync(observer, subject) != "Up")
                    {
                        return false;
                    }
                }
            }

            return true;
        }, "every running node Up on every running node", timeoutMs, Describe);
    }

    /// <summary>Waits until every node in <paramref name="observers"/> shows <paramref name="subject"/> in one of <paramref name="states"/>; returns the elapsed ms.</summary>
    public async Task<long> WaitStateAsync(Node subject, IReadOnlyList<Node> observers, string[] states, int timeoutMs)
    {
        var watch = Stopwatch.StartNew();
        await Eventually.True(async () =>
        {
            foreach (var observer in observers)
            {
                if (await StateAsync(observer, subject) is not { } state || !states.Contains(state))
                {
                    return false;
                }
            }

            return true;
        }, $"{subject.NodeId} {string.Join('/', states)} on {string.Join(", ", observers.Select(o => o.NodeId))}", timeoutMs, Describe);
        return watch.ElapsedMilliseconds;
    }

    /// <summary>The last output lines of every node (for failure messages).</summary>
    public string Describe() => string.Join("\n", Nodes.Select(n => $"--- {n.NodeId} ({n.Url}) ---\n{n.Tail()}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            node.ForceStop();
        }

        Http.Dispose();
        for (var i = 0; i < 10; i++)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
                return;
            }
            catch (IOException)
            {
                await Task.Delay(100);
            }
            catch (UnauthorizedAccessException)
            {
                await Task.Delay(100);
            }
        }
    }
}
