using ClusterEngine.Changes;
using ClusterEngine.Membership;

namespace ClusterPortal.Dashboard;

/// <summary>One node as the dashboard shows it: its status in this node's view plus its traffic.</summary>
/// <param name="Status">State, mode, capacity, counts, in-flight (from the cluster view).</param>
/// <param name="Traffic">Item-traffic totals since the node started (zero when not known yet).</param>
/// <param name="RequestsPerSecond">Item requests per second over the last sampling interval.</param>
public sealed record NodeSample(NodeStatus Status, NodeTraffic Traffic, double RequestsPerSecond);

/// <summary>Cluster-wide totals of one sample.</summary>
/// <param name="Clients">Clients with an assignment.</param>
/// <param name="Requests">Item requests answered by all nodes since they started.</param>
/// <param name="NotModified">Of which 304 "use your cached copy".</param>
/// <param name="BytesSent">Item body bytes sent.</param>
/// <param name="BytesSaved">Item body bytes saved by 304 answers.</param>
/// <param name="RequestsPerSecond">Item requests per second, all nodes.</param>
public sealed record ClusterTotalsSample(int Clients, long Requests, long NotModified, long BytesSent, long BytesSaved, double RequestsPerSecond)
{
    /// <summary>Share of item requests answered 304 (0..1).</summary>
    public double NotModifiedShare => Requests == 0 ? 0 : (double)NotModified / Requests;
}

/// <summary>The cluster as this node saw it at <paramref name="At"/>.</summary>
/// <param name="At">When the sample was taken.</param>
/// <param name="Nodes">Every node in membership order.</param>
/// <param name="Totals">Cluster totals.</param>
public sealed record DashboardSample(DateTimeOffset At, IReadOnlyList<NodeSample> Nodes, ClusterTotalsSample Totals)
{
    /// <summary>An empty sample (before the first tick).</summary>
    public static DashboardSample Empty { get; } = new(DateTimeOffset.MinValue, [], new ClusterTotalsSample(0, 0, 0, 0, 0, 0));
}

/// <summary>The dashboard sampler took a sample (published on the node's change stream, once per sampling interval).</summary>
/// <param name="Sample">The sample.</param>
public sealed record DashboardSampled(DashboardSample Sample) : ClusterChange;
