using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>Patent Fig. 3 and Fig. 4, steps 460–490: admission by the potential primary and bouncing.</summary>
public sealed class Fig4BouncingTests
{
    [Fact]
    public void Fig4_step470_potential_primary_accepts_below_admission_threshold()
    {
        var state = TestCluster.Create(10, 10, 10);
        state.Seed("n1", 7);

        var result = state.Announce("new");

        Assert.Equal("n1", result.Assignment!.Primary);
        Assert.Equal(0, result.Assignment.Bounces);
        Assert.Equal(["n1"], result.Offered);
    }

    [Fact]
    public void Fig4_step480_bounce_goes_to_lowest_ratio()
    {
        // n1 at its threshold (8 of 10); n2 at 0.5; n3 at 0.2 (2 of 10) → n3.
        var state = TestCluster.Create(10, 10, 10);
        state.Seed("n1", 8);
        state.Seed("n2", 5);
        state.Seed("n3", 2);

        var result = state.Announce("new");

        Assert.Equal("n3", result.Assignment!.Primary);
        Assert.Equal(1, result.Assignment.Bounces);
        Assert.Equal(["n1", "n3"], result.Offered);
    }

    [Fact]
    public void Fig4_step480_ratio_uses_capacity_not_count()
    {
        // n2 has more clients than n3 but a lower ratio (10/100 < 5/10).
        var state = TestCluster.Create(10, 100, 10);
        state.Seed("n1", 9);
        state.Seed("n2", 10);
        state.Seed("n3", 5);

        Assert.Equal("n2", state.Announce("new").Assignment!.Primary);
    }

    [Fact]
    public void Fig4_step480_keeps_client_when_it_has_the_lowest_ratio_itself()
    {
        var state = TestCluster.Create(10, 10);
        state.Seed("n1", 8);
        state.Seed("n2", 9);

        var result = state.Announce("new");

        Assert.Equal("n1", result.Assignment!.Primary);
        Assert.Equal(0, result.Assignment.Bounces);
    }

    [Fact]
    public void Fig4_step485_bounced_to_node_accepts_above_its_threshold_and_does_not_bounce_again()
    {
        // n1 (round-robin pick) at 9/10 bounces to the lowest ratio n2 (8/10, at its own threshold);
        // n2 may not bounce again although n3 (8.5/10 → 17/20) is below capacity too.
        var state = TestCluster.Create(10, 10, 20);
        state.Seed("n1", 9);
        state.Seed("n2", 8);
        state.Seed("n3", 17);

        var result = state.Announce("new");

        Assert.Equal("n2", result.Assignment!.Primary);
        Assert.Equal(["n1", "n2"], result.Offered);
    }

    [Theory]
    [InlineData(1, AdmissionOutcome.Accept, null)]
    [InlineData(2, AdmissionOutcome.Bounce, "n3")]
    public void Fig4_step485_a_bounced_to_node_bounces_once_more_only_when_max_bounces_allows(int maxBounces, AdmissionOutcome expected, string? target)
    {
        // n2's own view (it may be newer than the view n1 bounced from): n2 is at its threshold, n3 lower.
        var n2 = new ClusterState("n2", new ClusterOptions { MaxBounces = maxBounces });
        for (var i = 1; i <= 3; i++)
        {
            n2.AddOrUpdateNode(new ClusterEngine.Membership.NodeInfo($"n{i}", $"http://n{i}", 10, Order: i));
        }

        n2.Seed("n1", 9);
        n2.Seed("n2", 8);
        n2.Seed("n3", 5);

        Assert.Equal(new AdmissionDecision(expected, target), n2.DecideOffer(1, ["n1"]));
    }

    [Fact]
    public void Fig4_step485_a_second_bounce_never_goes_back_to_a_node_already_offered()
    {
        var n2 = new ClusterState("n2", new ClusterOptions { MaxBounces = 3 });
        for (var i = 1; i <= 2; i++)
        {
            n2.AddOrUpdateNode(new ClusterEngine.Membership.NodeInfo($"n{i}", $"http://n{i}", 10, Order: i));
        }

        n2.Seed("n2", 9);

        Assert.Equal(new AdmissionDecision(AdmissionOutcome.Accept, null), n2.DecideOffer(1, ["n1"]));
    }

    [Fact]
    public void Fig4_cluster_full_when_no_eligible_node_is_below_capacity()
    {
        var state = TestCluster.Create(2, 2);
        state.AnnounceMany(4);

        var result = state.Announce("one-too-many");

        Assert.Equal(PlacementOutcome.ClusterFull, result.Outcome);
        Assert.Null(result.Assignment);
        Assert.All(state.Nodes, n => Assert.Equal(2, n.PrimaryCount));
    }

    [Fact]
    public void Fig4_step485_with_max_bounces_zero_a_full_pick_falls_back_to_a_node_below_capacity()
    {
        var state = TestCluster.Create(new ClusterOptions { MaxBounces = 0 }, 2, 10);
        state.Seed("n1", 2);

        var result = state.Announce("new");

        Assert.Equal("n2", result.Assignment!.Primary);
    }

    [Fact]
    public void Capacity_cut_below_primary_count_stops_admissions_and_moves_nobody()
    {
        var state = TestCluster.Create(10, 10);
        state.AnnounceMany(10);
        var before = state.Assignments().ToDictionary(a => a.ClientId);

        state.SetCapacity("n1", 2);
        state.AnnounceMany(4, prefix: "late");

        Assert.Equal(before.Values.OrderBy(a => a.ClientId), state.Assignments().Where(a => before.ContainsKey(a.ClientId)).OrderBy(a => a.ClientId));
        Assert.Equal(5, state.Primaries("n1"));
        Assert.Equal(9, state.Primaries("n2"));
    }

    [Fact]
    public void Fig4_step460_offer_decided_by_the_potential_primary_itself()
    {
        var state = TestCluster.Create(10, 10);
        state.Seed("n1", 8);

        Assert.Equal(new AdmissionDecision(AdmissionOutcome.Bounce, "n2"), state.DecideOffer(0, []));
        Assert.Equal(new AdmissionDecision(AdmissionOutcome.Accept, null), state.DecideOffer(1, ["n2"]));
    }
}
