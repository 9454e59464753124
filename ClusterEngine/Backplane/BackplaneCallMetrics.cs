using System.Diagnostics.Metrics;

namespace ClusterEngine.Backplane;

/// <summary>
/// Times the calls this node makes to its peers over the backplane and waits for (<see cref="PeerMesh.InvokeCoreAsync{T}"/>:
/// claims, offers, heartbeats, the membership authority's calls, mirror syncs): the histogram
/// <c>clusterportal.backplane.call.duration</c> in seconds, from the call's start to its reply or failure, tagged with the
/// hub <c>method</c>, the <c>outcome</c> (<c>ok</c>: a reply; <c>failed</c>: no reply — the deadline, a dropped connection,
/// the peer's refusal) and this <c>node</c>; a call its caller cancelled is not counted. It is what an announce waits for
/// between nodes (README "Metrics").
/// </summary>
public sealed class BackplaneCallMetrics
{
    /// <summary>The meter of the engine's instruments (the node exports it with its own).</summary>
    public const string MeterName = "ClusterEngine";

    /// <summary>The histogram's name.</summary>
    public const string CallDuration = "clusterportal.backplane.call.duration";

    /// <summary>
    /// Bucket bounds for backplane timings, seconds: fine below 50 ms, where a healthy backplane is (the default bounds,
    /// made for milliseconds, would put every call in the first bucket).
    /// </summary>
    public static readonly IReadOnlyList<double> Buckets =
        [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<double> _duration;
    private readonly KeyValuePair<string, object?> _node;

    /// <summary>Creates the histogram on <paramref name="meters"/>' <see cref="MeterName"/> meter.</summary>
    /// <param name="meters">The host's meter factory.</param>
    /// <param name="state">This node (its id is the <c>node</c> tag).</param>
    public BackplaneCallMetrics(IMeterFactory meters, ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(state);
        _node = new("node", state.LocalNodeId);
        _duration = meters.Create(MeterName).CreateHistogram(CallDuration, "s", "From a backplane call to a peer to its reply or failure",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
    }

    /// <summary>Records one call of <paramref name="method"/> that took <paramref name="elapsed"/>.</summary>
    public void Record(string method, bool replied, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new("method", method), new("outcome", replied ? "ok" : "failed"), _node);
}
