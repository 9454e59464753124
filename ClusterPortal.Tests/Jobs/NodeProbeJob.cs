using System.Collections.Concurrent;
using ClusterEngine;

namespace ClusterPortal.Tests.Jobs;

/// <summary>A Hangfire job that records which node's services it was activated with (per test run id).</summary>
public sealed class NodeProbeJob(ClusterState state)
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<(string Label, string RanOn)>> s_runs = new();

    public static IReadOnlyList<(string Label, string RanOn)> Runs(string run) =>
        s_runs.TryGetValue(run, out var q) ? [.. q] : [];

    /// <summary>Records that the job labelled <paramref name="label"/> of run <paramref name="run"/> ran with this node's <see cref="ClusterState"/>.</summary>
    public void Run(string run, string label) => s_runs.GetOrAdd(run, _ => new()).Enqueue((label, state.LocalNodeId));
}
