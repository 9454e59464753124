using System.Net.Http.Json;
using System.Text.Json;
using ClusterEngine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// N real nodes in this process, each on its own loopback Kestrel port with its own data directory,
/// joined through node-1 as seed and talking over real SignalR connections.
/// </summary>
public sealed class InProcessCluster : IAsyncDisposable
{
    private readonly List<PortalFactory> _nodes = [];

    public IReadOnlyList<PortalFactory> Nodes => _nodes;

    public PortalFactory this[int index] => _nodes[index];

    public static async Task<InProcessCluster> StartAsync(params int[] capacities)
    {
        var cluster = new InProcessCluster();
        for (var i = 0; i < capacities.Length; i++)
        {
            cluster.Add(capacities[i]);
        }

        await cluster.WaitAllUpAsync();
        return cluster;
    }

    /// <summary>Starts one more node (seeded by node-1) with the given capacity.</summary>
    /// <param name="capacity">The node's capacity (clients).</param>
    /// <param name="extra">More settings (later wins).</param>
    /// <param name="seeded">Whether node-1 is its seed.</param>
    /// <param name="clock">A clock to replace the node's <see cref="TimeProvider"/> (null: the system's).</param>
    /// <param name="waitUntilReady">Wait for the node's /health/ready (false: only start it).</param>
    /// <param name="configure">More host configuration (services), after the clock's.</param>
    public PortalFactory Add(int capacity, Dictionary<string, string?>? extra = null, bool seeded = true, TimeProvider? clock = null, bool waitUntilReady = true,
        Action<Microsoft.AspNetCore.Hosting.IWebHostBuilder>? configure = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:NodeId"] = $"node-{_nodes.Count + 1}",
            ["Cluster:Capacity"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (_nodes.Count > 0 && seeded)
        {
            settings["Cluster:Seeds:0"] = _nodes[0].BaseUrl;
        }

        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var node = new PortalFactory(settings)
        {
            Configure = clock is null && configure is null ? null : web =>
            {
                if (clock is not null)
                {
                    web.ConfigureServices(services => services.AddSingleton(clock));
                }

                configure?.Invoke(web);
            },
        };
        if (waitUntilReady)
        {
            _ = node.BaseUrl;
        }
        else
        {
            node.StartedClient().Dispose();
        }

        _nodes.Add(node);
        return node;
    }

    /// <summary>
    /// A <c>configure</c> for <see cref="Add"/> that puts <paramref name="filter"/> on the node's backplane hub: it sees every
    /// call a peer makes to this node (to hold, drop or count one).
    /// </summary>
    public static Action<IWebHostBuilder> WithHubFilter(IHubFilter filter) =>
        web => web.ConfigureServices(s => s.Configure<HubOptions<Hubs.BackplaneHub>>(o => o.AddFilter(filter)));

    /// <summary>Announces <paramref name="clientId"/> at node <paramref name="at"/>; returns an HTTP client of that node carrying its token.</summary>
    public async Task<(HttpClient Http, SessionBody Session)> Announce(int at, string clientId)
    {
        var http = _nodes[at].Client();
        var response = await http.PostAsJsonAsync("/api/sessions", new { clientId });

        // As a device does (the SDK honours Retry-After): while a new id's claim holder is unreachable
        // or not Up (a node starting or stopping), the announce answers 503 with Retry-After (docs/identity.md); a few tries.
        for (var attempt = 1; response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && attempt < 5; attempt++)
        {
            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
            response = await http.PostAsJsonAsync("/api/sessions", new { clientId });
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"announce of {clientId} at {_nodes[at].NodeId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var session = (await response.Content.ReadFromJsonAsync<SessionBody>())!;
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", session.Token);
        return (http, session);
    }

    /// <summary>Waits until every listed view holds the same assignments.</summary>
    public Task WaitConvergedAsync(IEnumerable<int>? views = null)
    {
        var list = (views ?? Enumerable.Range(0, _nodes.Count)).ToList();
        return Eventually.True(() =>
        {
            var reference = StateOf(list[0]).Assignments().OrderBy(a => a.ClientId).ToList();
            return list.Skip(1).All(v => StateOf(v).Assignments().OrderBy(a => a.ClientId).SequenceEqual(reference));
        }, "all views hold the same assignments");
    }

    public ClusterState StateOf(int index) => _nodes[index].Services.GetRequiredService<ClusterState>();

    /// <summary>Waits until every running node sees every running node Up.</summary>
    public Task WaitAllUpAsync(IEnumerable<int>? running = null)
    {
        var live = (running ?? Enumerable.Range(0, _nodes.Count)).ToList();
        var ids = live.Select(i => _nodes[i].NodeId).ToHashSet();
        return Eventually.True(() => live.All(i => ids.All(id => StateOf(i).GetNode(id)?.State == ClusterEngine.Membership.NodeState.Up)),
            $"all of {string.Join(",", ids)} Up on every node", describe: () => string.Join("\n", live.Select(i =>
                $"{_nodes[i].NodeId} sees " + string.Join(", ", StateOf(i).Nodes.Select(n => $"{n.NodeId}={n.State}")))));
    }

    public static async Task<JsonElement> GetJson(HttpClient http, string path) =>
        await http.GetFromJsonAsync<JsonElement>(path);

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_nodes.Select(async node => await node.DisposeAsync()));
    }
}
