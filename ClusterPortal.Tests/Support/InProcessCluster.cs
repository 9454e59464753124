using System.Net.Http.Json;
using System.Text.Json;
using ClusterEngine;
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
    public PortalFactory Add(int capacity, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:NodeId"] = $"node-{_nodes.Count + 1}",
            ["Cluster:Capacity"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (_nodes.Count > 0)
        {
            settings["Cluster:Seeds:0"] = _nodes[0].BaseUrl;
        }

        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var node = new PortalFactory(settings);
        _ = node.BaseUrl;
        _nodes.Add(node);
        return node;
    }

    public ClusterState StateOf(int index) => _nodes[index].Services.GetRequiredService<ClusterState>();

    /// <summary>Waits until every running node sees every running node Up.</summary>
    public Task WaitAllUpAsync(IEnumerable<int>? running = null)
    {
        var live = (running ?? Enumerable.Range(0, _nodes.Count)).ToList();
        var ids = live.Select(i => _nodes[i].NodeId).ToHashSet();
        return Eventually.True(() => live.All(i => ids.All(id => StateOf(i).GetNode(id)?.State == ClusterEngine.Membership.NodeState.Up)),
            $"all of {string.Join(",", ids)} Up on every node");
    }

    public static async Task<JsonElement> GetJson(HttpClient http, string path) =>
        await http.GetFromJsonAsync<JsonElement>(path);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Enumerable.Reverse(_nodes))
        {
            await node.DisposeAsync();
        }
    }
}
