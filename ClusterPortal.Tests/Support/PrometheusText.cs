using System.Globalization;

namespace ClusterPortal.Tests.Support;

/// <summary>Reads a node's <c>/metrics</c> (Prometheus text format) in tests.</summary>
public static class PrometheusText
{
    /// <summary>The sum of the values of the series whose line starts with <paramref name="prefix"/> and carries every one of <paramref name="labels"/> (e.g. <c>node="node-1"</c>).</summary>
    public static double Sum(string metrics, string prefix, params string[] labels) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && labels.All(x => l.Contains(x, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
