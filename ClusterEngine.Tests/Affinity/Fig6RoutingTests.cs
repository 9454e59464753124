using ClusterEngine.Membership;
using ClusterEngine.Affinity;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Affinity;

/// <summary>Patent Fig. 6, steps 630–680 (and Fig. 8): serving a request at the primary, failover, reassignment.</summary>
public sealed class Fig6RoutingTests
{
    [Fact]
    public void Fig6_step650_available_primary_serves_and_nothing_changes()
    {
        var state = TestCluster.Create(100, 100, 100);
        var assigned = state.Announce("c1").Assignment!;

        var decision = state.Route("c1");

        Assert.Equal(AffinityKind.Primary, decision.Kind);
        Assert.Equal(assigned.Primary, decision.ServingNodeId);
        Assert.Null(decision.Change);
    }

    [Fact]
    public void Fig6_step640_a_joining_primary_is_waited_for_not_taken_over()
    {
        var state = TestCluster.Create(100, 100, 100);
        var before = state.Announce("c1").Assignment!;
        state.SetState(before.Primary, NodeState.Joining); // restarted, catching up (Fig. 7): it serves in a moment

        var waiting = state.Route("c1");

        Assert.Equal(AffinityKind.PrimaryJoining, waiting.Kind);
        Assert.Null(waiting.ServingNodeId);
        Assert.Null(waiting.Change);
        Assert.Equal(before, state.GetAssignment("c1"));

        state.SetState(before.Primary, NodeState.Up);
        var served = state.Route("c1");
        Assert.Equal(AffinityKind.Primary, served.Kind);
        Assert.Equal(before.Primary, served.ServingNodeId);

        state.SetState(before.Primary, NodeState.Down); // a joining node that goes silent is Down: then it is failed over
        Assert.Equal(AffinityKind.FailedOver, state.Route("c1").Kind);
    }

    [Fact]
    public void Fig6_step610_unknown_client_must_announce()
    {
        var state = TestCluster.Create(100);

        Assert.Equal(AffinityKind.NotAssigned, state.Route("nobody").Kind);
    }

    [Theory]
    [InlineData("down")]
    [InlineData("maintenance")]
    [InlineData("busy")]
    public void Fig6_step670_unavailable_primary_promotes_the_alternate_and_step680_picks_a_new_alternate(string why)
    {
        var state = TestCluster.Create(100, 100, 100);
        var before = state.Announce("c1").Assignment!;
        MakeUnavailable(state, before.Primary, why);

        var decision = state.Route("c1");

        Assert.Equal(AffinityKind.FailedOver, decision.Kind);
        Assert.Equal(before.Alternate, decision.ServingNodeId);
        Assert.Equal(before.Alternate, decision.Assignment!.Primary);
        Assert.NotNull(decision.Assignment.Alternate);
        Assert.NotEqual(before.Primary, decision.Assignment.Alternate);
        Assert.NotEqual(decision.Assignment.Primary, decision.Assignment.Alternate);
        Assert.True(decision.Assignment.Version > before.Version);
        Assert.Equal(decision.Assignment.Version, decision.Change!.Version);
        state.AssertCountsMatchTable();
    }

    [Fact]
    public void Fig6_busy_means_in_flight_at_or_above_busy_threshold_of_the_limit()
    {
        var state = TestCluster.Create(100, 100);
        state.Announce("c1");
        state.ReportInFlight("n1", 799);
        Assert.Equal(AffinityKind.Primary, state.Route("c1").Kind);

        state.ReportInFlight("n1", 800);
        Assert.Equal(AffinityKind.FailedOver, state.Route("c1").Kind);
    }

    [Fact]
    public void Fig6_step660_both_unavailable_assigns_anew_with_round_robin()
    {
        var state = TestCluster.Create(100, 100, 100);
        var before = state.Announce("c1").Assignment!;
        state.SetState(before.Primary, NodeState.Down);
        state.SetState(before.Alternate!, NodeState.Down);

        var decision = state.Route("c1");

        Assert.Equal(AffinityKind.Reassigned, decision.Kind);
        var survivor = state.Nodes.Single(n => n.State == NodeState.Up).NodeId;
        Assert.Equal(survivor, decision.ServingNodeId);
        Assert.Null(decision.Assignment!.Alternate);
        state.AssertCountsMatchTable();
    }

    [Fact]
    public void Fig6_failover_onto_a_full_alternate_still_happens_and_is_reported_over_capacity()
    {
        var state = TestCluster.Create(10, 1);
        state.Seed("n2", 1);
        state.Seed("n1", 1, alternate: "n2");
        var client = state.Assignments(a => a.Primary == "n1").Single().ClientId;
        state.SetState("n1", NodeState.Down);

        var decision = state.Route(client);

        Assert.Equal(AffinityKind.FailedOver, decision.Kind);
        Assert.Equal("n2", decision.ServingNodeId);
        Assert.True(decision.OverCapacity);
        Assert.Equal(2, state.Primaries("n2"));
    }

    [Fact]
    public void Fig6_decision_is_a_value_the_router_proposes_without_changing_the_table()
    {
        var state = TestCluster.Create(100, 100, 100);
        var before = state.Announce("c1").Assignment!;
        state.SetState(before.Primary, NodeState.Down);
        var proposal = state.ProposeRoute("c1");

        Assert.Equal(AffinityKind.FailedOver, proposal.Kind);
        Assert.Equal(before, state.GetAssignment("c1"));
    }

    [Fact]
    public void Fig8_node_down_promotes_every_client_to_its_alternate_and_spreads_the_load()
    {
        var state = TestCluster.Create(1000, 1000, 1000, 1000);
        state.AnnounceMany(400);
        state.SetState("n1", NodeState.Down);

        var changes = state.FailOverNode("n1");

        Assert.Equal(0, state.Primaries("n1"));
        Assert.Equal(0, state.Alternates("n1"));
        Assert.All(state.Assignments(), a => Assert.NotEqual("n1", a.Alternate));
        Assert.All(new[] { "n2", "n3", "n4" }, n => Assert.InRange(state.Primaries(n), 130, 137));
        Assert.True(changes.Count >= 100);
        state.AssertCountsMatchTable();
    }

    private static void MakeUnavailable(ClusterState state, string nodeId, string why)
    {
        switch (why)
        {
            case "down":
                state.SetState(nodeId, NodeState.Down);
                break;
            case "maintenance":
                state.SetMode(nodeId, NodeMode.Maintenance);
                break;
            default:
                state.ReportInFlight(nodeId, 900);
                break;
        }
    }
}
