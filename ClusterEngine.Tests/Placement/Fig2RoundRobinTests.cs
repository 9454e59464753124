using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>Patent Fig. 2 (and Fig. 3, step 350): round-robin choice of the potential primary over the ordered nodes.</summary>
public sealed class Fig2RoundRobinTests
{
    [Fact]
    public void Fig2_step210_new_clients_take_the_next_node_in_order()
    {
        var state = TestCluster.Create(100, 100, 100);

        var primaries = Enumerable.Range(0, 6).Select(i => state.Announce($"c{i}").Assignment!.Primary).ToArray();

        Assert.Equal(["n1", "n2", "n3", "n1", "n2", "n3"], primaries);
    }

    [Fact]
    public void Fig2_step210_thirty_clients_spread_ten_ten_ten()
    {
        var state = TestCluster.Create(10_000, 10_000, 10_000);

        state.AnnounceMany(30);

        Assert.All(state.Nodes, n => Assert.Equal(10, n.PrimaryCount));
    }

    [Fact]
    public void Fig2_step200_order_is_join_order_then_node_id_whatever_the_add_order()
    {
        var a = new ClusterState("x", new ClusterOptions());
        var b = new ClusterState("y", new ClusterOptions());
        NodeInfo[] nodes = [new("b", "http://b", 10, Order: 1), new("a", "http://a", 10, Order: 1), new("z", "http://z", 10, Order: 0)];

        foreach (var n in nodes)
        {
            a.AddOrUpdateNode(n);
        }

        foreach (var n in nodes.Reverse())
        {
            b.AddOrUpdateNode(n);
        }

        Assert.Equal(["z", "a", "b"], a.Nodes.Select(n => n.NodeId));
        Assert.Equal(a.Nodes.Select(n => n.NodeId), b.Nodes.Select(n => n.NodeId));
    }

    [Theory]
    [InlineData(NodeState.Down)]
    [InlineData(NodeState.Joining)]
    [InlineData(NodeState.Suspect)]
    [InlineData(NodeState.Leaving)]
    public void Fig2_step210_skips_nodes_that_are_not_up(NodeState state)
    {
        var cluster = TestCluster.Create(100, 100, 100);
        cluster.SetState("n2", state);

        cluster.AnnounceMany(10);

        Assert.Equal(0, cluster.Primaries("n2"));
        Assert.Equal(0, cluster.Alternates("n2"));
    }

    [Fact]
    public void Fig2_step210_skips_nodes_in_maintenance()
    {
        var cluster = TestCluster.Create(100, 100, 100);
        cluster.SetMode("n3", NodeMode.Maintenance);

        cluster.AnnounceMany(10);

        Assert.Equal(0, cluster.Primaries("n3"));
        Assert.Equal(10, cluster.Primaries("n1") + cluster.Primaries("n2"));
    }

    [Fact]
    public void Fig1_step110_a_client_that_has_a_primary_keeps_it()
    {
        var cluster = TestCluster.Create(100, 100);
        var first = cluster.Announce("c1");

        var again = cluster.Announce("c1");

        Assert.Equal(PlacementOutcome.Existing, again.Outcome);
        Assert.Equal(first.Assignment, again.Assignment);
        Assert.Null(again.Change);
    }
}
