using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Membership;

/// <summary>Patent Fig. 11, steps 1100–1130: adding capacity at run time.</summary>
public sealed class Fig11ExpansionTests
{
    [Fact]
    public void Fig11_patent_example_10000_clients_then_a_5000_node_then_5000_more_all_served_none_moved()
    {
        // A 10,000-capacity cluster (two 5,000 nodes) carrying 10,000 clients.
        var state = TestCluster.Create(5_000, 5_000);
        state.AnnounceMany(10_000, prefix: "old");
        Assert.Equal(10_000, state.ClientCount);
        var before = state.Assignments().ToDictionary(a => a.ClientId, a => a.Primary);

        // Steps 1110–1120: a 5,000-capacity node joins; step 1130: round robin and bouncing reach it.
        state.AddOrUpdateNode(new NodeInfo("n3", "http://n3", 5_000, Order: 2));
        var outcomes = Enumerable.Range(0, 5_000).Select(i => state.Announce($"new{i:D5}").Outcome).ToList();

        Assert.All(outcomes, o => Assert.Equal(PlacementOutcome.Placed, o));
        Assert.All(state.Nodes, n => Assert.True(n.PrimaryCount <= n.Capacity, $"{n.NodeId} over capacity"));
        Assert.Equal(5_000, state.Primaries("n3"));
        Assert.All(before, kv => Assert.Equal(kv.Value, state.GetAssignment(kv.Key)!.Primary));
        Assert.Equal(PlacementOutcome.ClusterFull, state.Announce("one-more").Outcome);
    }

    [Fact]
    public void Fig11_step1120_a_join_moves_no_existing_client()
    {
        var state = TestCluster.Create(100, 100);
        state.AnnounceMany(50);
        var before = state.Assignments().OrderBy(a => a.ClientId).ToList();

        state.AddOrUpdateNode(new NodeInfo("n3", "http://n3", 1000, Order: 9));

        Assert.Equal(before, state.Assignments().OrderBy(a => a.ClientId));
    }

    [Fact]
    public void Fig11_step1130_new_node_of_any_capacity_takes_new_clients_by_round_robin()
    {
        var state = TestCluster.Create(100, 100);
        state.AddOrUpdateNode(new NodeInfo("big", "http://big", 7, Order: 9));

        state.AnnounceMany(9);

        Assert.Equal(3, state.Primaries("big"));
    }
}
