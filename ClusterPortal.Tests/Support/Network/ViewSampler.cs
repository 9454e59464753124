using System.Text.Json;
using ClusterPortal.Tests.Support.History;

namespace ClusterPortal.Tests.Support.Network;

/// <summary>
/// Samples every running node's view into a <see cref="ClusterHistory"/> until stopped, round after round: whether the
/// node serves as primary (<c>/health/ready</c> and <c>serving</c> of <c>GET /api/cluster</c>: Up with the quorum) and
/// every assignment it holds (<c>GET /api/clients</c>, admin) and the state it gives every member. A node that does not answer is left out of that round.
/// </summary>
public sealed class ViewSampler : IAsyncDisposable
{
    private readonly ProcessCluster _cluster;
    private readonly ClusterHistory _history;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ViewSampler(ProcessCluster cluster, ClusterHistory history)
    {
        (_cluster, _history) = (cluster, history);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Rounds completed so far.</summary>
    public int Rounds { get; private set; }

    /// <summary>The last views of <paramref name="nodes"/> for the history checker, one each.</summary>
    /// <exception cref="InvalidOperationException">A node did not answer.</exception>
    public static async Task<List<ViewSample>> FinalViewsAsync(ProcessCluster cluster, IEnumerable<ProcessCluster.Node> nodes)
    {
        var final = new List<ViewSample>();
        foreach (var node in nodes)
        {
            final.Add(await SampleAsync(cluster, node) ?? throw new InvalidOperationException($"{node.NodeId} did not answer"));
        }

        return final;
    }

    /// <summary>Whether <paramref name="node"/> says it serves as primary (null: no answer).</summary>
    public static async Task<bool?> ServingAsync(ProcessCluster cluster, ProcessCluster.Node node) => (await SampleAsync(cluster, node))?.Serving;

    /// <summary>One view of <paramref name="node"/> now, or null when it does not answer.</summary>
    public static async Task<ViewSample?> SampleAsync(ProcessCluster cluster, ProcessCluster.Node node)
    {
        try
        {
            var before = ClusterHistory.Now;
            using var ready = await cluster.Http.GetAsync(new Uri(node.Url + "/health/ready"));
            using var doc = JsonDocument.Parse(await cluster.Http.GetStringAsync(new Uri(node.Url + "/api/cluster")));
            var clients = await cluster.ClientsAsync(node);
            var serving = ready.IsSuccessStatusCode && doc.RootElement.GetProperty("serving").GetBoolean();
            var assignments = clients.ToDictionary(c => c.Key, c => new ViewedAssignment(c.Value.Primary, c.Value.Alternate), StringComparer.Ordinal);
            var states = doc.RootElement.GetProperty("nodes").EnumerateArray()
                .ToDictionary(n => n.GetProperty("nodeId").GetString()!, n => n.GetProperty("state").GetString()!, StringComparer.Ordinal);
            return new ViewSample(node.NodeId, (before + ClusterHistory.Now) / 2, serving, assignments, states);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var samples = await Task.WhenAll(_cluster.Nodes.Where(n => n.IsRunning).Select(n => SampleAsync(_cluster, n)));
            foreach (var sample in samples.OfType<ViewSample>())
            {
                _history.Record(sample);
            }

            Rounds++;
        }
    }
}
