using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// <c>clusterportal.assignment.propagation</c> (README "Metrics"): each peer's live <c>AssignmentChanged</c> broadcast merged here
/// is timed from the decision's clock; a node that pulls the table when it joins (catch-up) records none of those old
/// decisions — they would read as minutes or hours of propagation.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessMetricsGroup.Name)]
public sealed class PropagationMetricTests
{
    private const string Count = "clusterportal_assignment_propagation_seconds_count{";

    [Fact]
    public async Task Live_broadcasts_are_timed_and_a_joining_nodes_catch_up_is_not()
    {
        await using var cluster = new InProcessCluster();
        cluster.Add(100);
        cluster.Add(100);
        await cluster.WaitAllUpAsync();
        for (var i = 0; i < 10; i++)
        {
            await cluster.Announce(i % 2, $"metric-{i}");
        }

        await cluster.WaitConvergedAsync();
        await Eventually.True(async () => await MergedAsync(cluster, 0) + await MergedAsync(cluster, 1) >= 10,
            "the 10 new assignments' broadcasts counted at their peers");

        cluster.Add(100);
        await cluster.WaitAllUpAsync();
        await cluster.WaitConvergedAsync();
        Assert.Equal(10, cluster.StateOf(2).Assignments(_ => true).Count);
        Assert.Equal(0, await MergedAsync(cluster, 2)); // the table it pulled when it joined is not propagation

        await cluster.Announce(0, "metric-late");
        await cluster.WaitConvergedAsync();
        await Eventually.True(async () => await MergedAsync(cluster, 2) >= 1, "node-3 timing the broadcast of a client announced after it joined");
        Assert.InRange(await SumAsync(cluster, 2), 0, 60); // seconds in all: live broadcasts, not decisions of long ago
    }

    private static async Task<long> MergedAsync(InProcessCluster cluster, int node) =>
        (long)await ValueAsync(cluster, node, Count);

    private static Task<double> SumAsync(InProcessCluster cluster, int node) =>
        ValueAsync(cluster, node, "clusterportal_assignment_propagation_seconds_sum{");

    private static async Task<double> ValueAsync(InProcessCluster cluster, int node, string prefix) =>
        PrometheusText.Sum(await cluster[node].AdminClient().GetStringAsync("/metrics"), prefix);
}
