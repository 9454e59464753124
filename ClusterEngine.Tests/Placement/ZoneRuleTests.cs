using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>Patent Fig. 5, step 520 with zones (docs/network.md "Zones"): the alternate is outside the primary's zone while another zone has an eligible node.</summary>
public sealed class ZoneRuleTests
{
    [Theory]
    [InlineData("a", "b", true, true)]
    [InlineData("a", "a", true, false)]
    [InlineData("a", "a", false, true)]
    [InlineData("", "", true, false)]
    [InlineData("", "a", true, true)]
    public void Zone_rule_admits_a_same_zone_alternate_only_when_no_other_zone_has_an_eligible_node(string primary, string candidate, bool otherZone, bool admitted) =>
        Assert.Equal(admitted, ZoneRule.Admits(primary, candidate, otherZone));

    [Fact]
    public void Fig5_step520_alternate_is_never_in_the_primarys_zone_while_another_zone_has_an_eligible_node()
    {
        // Two zones of unequal size: a, a, a | b. Without zones most alternates of zone a would stay in zone a.
        var state = Zoned(("a", 100), ("a", 100), ("a", 100), ("b", 100));

        state.AnnounceMany(400);

        var zoneOf = state.Nodes.ToDictionary(n => n.NodeId, n => n.Zone);
        Assert.All(state.Assignments(), a => Assert.NotEqual(zoneOf[a.Primary], zoneOf[a.Alternate!]));
    }

    [Fact]
    public void Fig5_step520_alternate_stays_in_the_primarys_zone_when_no_other_zone_is_eligible()
    {
        var state = Zoned(("a", 100), ("a", 100), ("b", 100));
        state.SetState("n3", NodeState.Down);

        state.AnnounceMany(50);

        Assert.All(state.Assignments(), a => Assert.NotNull(a.Alternate));
        Assert.All(state.Assignments(), a => Assert.NotEqual(a.Primary, a.Alternate));
    }

    [Fact]
    public void Fig6_zone_failure_promotes_alternates_of_other_zones_and_picks_new_alternates_outside_the_new_primarys_zone()
    {
        // Three zones (an odd number): a = n1, n2; b = n3, n4; c = n5.
        var state = Zoned(("a", 100), ("a", 100), ("b", 100), ("b", 100), ("c", 100));
        state.AnnounceMany(500);
        var zoneOf = state.Nodes.ToDictionary(n => n.NodeId, n => n.Zone);

        foreach (var lost in new[] { "n1", "n2" })
        {
            state.SetState(lost, NodeState.Down);
            state.FailOverNode(lost);
        }

        Assert.All(state.Assignments(), a =>
        {
            Assert.NotEqual("a", zoneOf[a.Primary]);
            Assert.NotNull(a.Alternate);
            Assert.NotEqual(zoneOf[a.Primary], zoneOf[a.Alternate!]);
        });
        state.AssertCountsMatchTable();
    }

    private static ClusterState Zoned(params (string Zone, int Capacity)[] nodes)
    {
        var state = TestCluster.Create(nodes.Select(n => n.Capacity).ToArray());
        for (var i = 0; i < nodes.Length; i++)
        {
            var node = state.GetNode($"n{i + 1}")!;
            state.AddOrUpdateNode(new NodeInfo(node.NodeId, node.Url, node.Capacity, node.Name, node.Order, node.State, node.Mode,
                node.MaxConcurrentRequests, node.Incarnation, nodes[i].Zone));
        }

        return state;
    }
}
