using ClusterEngine.Membership;
using ClusterEngine.Affinity;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// A leaving node's hand-over (docs/recovery.md, "Graceful leave and the full restart"): to alternates that stay
/// (patent Fig. 6, steps 670–680), anew to a node that stays when the alternate leaves too, and nothing at all when every
/// other node is leaving — so a full restart ends with every client where it was. Until it hands over, a leaving primary
/// still serves (Fig. 6, step 640).
/// </summary>
public sealed class GracefulHandOverTests
{
    [Fact]
    public void A_leaving_node_hands_its_clients_to_alternates_that_stay_and_keeps_nothing()
    {
        var state = TestCluster.Create(100, 100, 100);
        state.AnnounceMany(60);
        state.SetState("n1", NodeState.Leaving);

        var (changes, kept) = state.HandOver("n1");

        Assert.Equal(0, kept);
        Assert.NotEmpty(changes);
        Assert.DoesNotContain(state.Assignments(), a => a.Primary == "n1" || a.Alternate == "n1");
        Assert.All(state.Assignments(), a => Assert.NotNull(a.Alternate));
        state.AssertCountsMatchTable();
    }

    [Fact]
    public void When_every_other_node_is_leaving_too_the_leaving_node_keeps_every_role()
    {
        var state = TestCluster.Create(100, 100, 100);
        state.AnnounceMany(60);
        var before = state.Assignments().OrderBy(a => a.ClientId).ToList();
        foreach (var id in new[] { "n1", "n2", "n3" })
        {
            state.SetState(id, NodeState.Leaving);
        }

        var (changes, kept) = state.HandOver("n1");

        Assert.Empty(changes);
        Assert.Equal(before.Count(a => a.Primary == "n1" || a.Alternate == "n1"), kept);
        Assert.Equal(before, state.Assignments().OrderBy(a => a.ClientId));
    }

    [Fact]
    public void A_client_whose_alternate_is_leaving_too_goes_to_the_node_that_stays()
    {
        var state = TestCluster.Create(100, 100, 100);
        state.AnnounceMany(60);
        var shared = state.Assignments().Where(a => a.Primary == "n1" && a.Alternate == "n2").Select(a => a.ClientId).ToList();
        Assert.NotEmpty(shared);
        state.SetState("n1", NodeState.Leaving);
        state.SetState("n2", NodeState.Leaving);

        state.HandOver("n1");

        Assert.All(shared, c => Assert.Equal("n3", state.GetAssignment(c)!.Primary));
    }

    [Fact]
    public void Fig6_step640_a_leaving_primary_still_serves_until_it_hands_its_clients_over()
    {
        var state = TestCluster.Create(100, 100, 100);
        state.AnnounceMany(30);
        var client = state.Assignments().First(a => a.Primary == "n2").ClientId;
        state.SetState("n2", NodeState.Leaving);

        var decision = state.Route(client);

        Assert.Equal(AffinityKind.Primary, decision.Kind);
        Assert.Equal("n2", decision.ServingNodeId);
        Assert.Null(decision.Change);
    }
}
