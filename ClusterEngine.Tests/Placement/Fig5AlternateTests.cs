using ClusterEngine.Membership;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>Patent Fig. 5, steps 500–520: alternate selection spread in proportion to capacity.</summary>
public sealed class Fig5AlternateTests
{
    [Fact]
    public void Fig5_step520_alternate_is_never_the_primary()
    {
        var state = TestCluster.Create(100, 100, 100);

        state.AnnounceMany(200);

        Assert.All(state.Assignments(), a => Assert.NotEqual(a.Primary, a.Alternate));
        Assert.All(state.Assignments(), a => Assert.NotNull(a.Alternate));
    }

    [Fact]
    public void Fig5_no_alternate_while_the_cluster_has_one_node()
    {
        var state = TestCluster.Create(100);

        state.AnnounceMany(5);

        Assert.All(state.Assignments(), a => Assert.Null(a.Alternate));
    }

    [Fact]
    public void Fig5_step520_clients_without_alternate_get_one_as_soon_as_a_node_is_eligible()
    {
        var state = TestCluster.Create(100);
        state.AnnounceMany(5);
        state.AddOrUpdateNode(new NodeInfo("n2", "http://n2", 100, Order: 5, State: NodeState.Joining));

        Assert.Empty(state.AssignMissingAlternates());

        state.SetState("n2", NodeState.Up);
        var changes = state.AssignMissingAlternates();

        Assert.Equal(5, changes.Count);
        Assert.All(state.Assignments(), a => Assert.Equal("n2", a.Alternate));
        Assert.Equal(5, state.Alternates("n2"));
    }

    [Fact]
    public void Fig5_step520_alternates_of_one_primary_spread_in_proportion_to_capacity()
    {
        // Capacities 100/200/100/300: the clients of n1 put their alternates on n2, n3, n4 as 200:100:300.
        var state = TestCluster.Create(100, 200, 100, 300);

        state.AnnounceMany(600);

        var ofN1 = state.Assignments(a => a.Primary == "n1").GroupBy(a => a.Alternate!).ToDictionary(g => g.Key, g => g.Count());
        var total = ofN1.Values.Sum();
        Assert.InRange(ofN1["n2"], (total * 2 / 6) - 2, (total * 2 / 6) + 2);
        Assert.InRange(ofN1["n3"], (total / 6) - 2, (total / 6) + 2);
        Assert.InRange(ofN1["n4"], (total * 3 / 6) - 2, (total * 3 / 6) + 2);
    }

    [Fact]
    public void Fig5_joining_node_is_never_chosen_as_alternate()
    {
        var state = TestCluster.Create(100, 100);
        state.AddOrUpdateNode(new NodeInfo("n3", "http://n3", 100, Order: 3, State: NodeState.Joining));

        state.AnnounceMany(30);

        Assert.Equal(0, state.Alternates("n3"));
    }
}
