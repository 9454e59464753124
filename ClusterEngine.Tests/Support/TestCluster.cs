using ClusterEngine.Membership;

namespace ClusterEngine.Tests.Support;

/// <summary>Builds a <see cref="ClusterState"/> with nodes n1..nK of the given capacities, all Up and Active.</summary>
internal static class TestCluster
{
    public static ClusterState Create(params int[] capacities) => Create(new ClusterOptions(), capacities);

    public static ClusterState Create(ClusterOptions options, params int[] capacities)
    {
        var state = new ClusterState("n1", options);
        for (var i = 0; i < capacities.Length; i++)
        {
            state.AddOrUpdateNode(new NodeInfo($"n{i + 1}", $"http://127.0.0.1:{5101 + i}", capacities[i], Order: i));
        }

        return state;
    }

    public static void AnnounceMany(this ClusterState state, int count, string prefix = "c")
    {
        for (var i = 0; i < count; i++)
        {
            state.Announce($"{prefix}{i:D6}");
        }
    }

    public static int Primaries(this ClusterState state, string nodeId) => state.GetNode(nodeId)!.PrimaryCount;

    public static int Alternates(this ClusterState state, string nodeId) => state.GetNode(nodeId)!.AlternateCount;

    /// <summary>Recounts primaries and alternates per node from the assignment list (the slow way).</summary>
    public static void AssertCountsMatchTable(this ClusterState state)
    {
        var all = state.Assignments();
        foreach (var node in state.Nodes)
        {
            Assert.Equal(all.Count(a => a.Primary == node.NodeId), node.PrimaryCount);
            Assert.Equal(all.Count(a => a.Alternate == node.NodeId), node.AlternateCount);
        }

        Assert.Equal(all.Count, state.ClientCount);
    }
}

/// <summary>Puts existing clients on nodes through deltas, to set up loads.</summary>
internal static class Loads
{
    private static long s_counter;

    public static void Seed(this ClusterState state, string primary, int count, string? alternate = null)
    {
        var deltas = Enumerable.Range(0, count).Select(i => new ClusterEngine.Placement.AssignmentDelta(
            $"seed-{primary}-{Interlocked.Increment(ref s_counter)}", primary, alternate,
            new ClusterEngine.Placement.AssignmentVersion(1, "seed"), 0, ClusterEngine.Placement.AssignmentChangeReason.Assigned));
        state.Apply(deltas.ToList());
    }
}
