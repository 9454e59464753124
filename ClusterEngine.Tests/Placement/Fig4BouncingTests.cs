using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>
/// Patent Fig. 3 and Fig. 4, steps 450–490: the round-robin pick, admission by the potential primary itself and
/// bouncing — driven through the production placement loop (<see cref="PlacementCoordinator"/> and its offers) between
/// several engine instances joined in memory.
/// </summary>
public sealed class Fig4BouncingTests
{
    [Fact]
    public async Task Fig4_step470_potential_primary_accepts_below_admission_threshold()
    {
        var net = new OfferNet(10, 10, 10);
        net.Seed("n1", 7);

        var result = await net.AnnounceAsync("n1", "new");

        Assert.Equal("n1", result.Assignment!.Primary);
        Assert.Equal(0, result.Assignment.Bounces);
        Assert.Equal(["n1"], result.Offered);
        Assert.Empty(net.Offers);
    }

    [Fact]
    public async Task Fig4_step480_bounce_goes_to_lowest_ratio_which_decides_itself_and_every_node_learns_the_assignment()
    {
        // n1 at its threshold (8 of 10); n2 at 0.5; n3 at 0.2 (2 of 10) → n3.
        var net = new OfferNet(10, 10, 10);
        net.Seed("n1", 8);
        net.Seed("n2", 5);
        net.Seed("n3", 2);

        var result = await net.AnnounceAsync("n1", "new");

        Assert.Equal("n3", result.Assignment!.Primary);
        Assert.Equal(1, result.Assignment.Bounces);
        Assert.Equal(["n1", "n3"], result.Offered);
        Assert.Equal(["n3"], net.Offers);
        Assert.Equal("n3", result.Change!.Version.NodeId); // decided by n3 itself
        Assert.All(["n1", "n2", "n3"], id => Assert.Equal(result.Assignment, net[id].GetAssignment("new")));
    }

    [Fact]
    public async Task Fig4_step480_ratio_uses_capacity_not_count()
    {
        // n2 has more clients than n3 but a lower ratio (10/100 < 5/10).
        var net = new OfferNet(10, 100, 10);
        net.Seed("n1", 9);
        net.Seed("n2", 10);
        net.Seed("n3", 5);

        Assert.Equal("n2", (await net.AnnounceAsync("n1", "new")).Assignment!.Primary);
    }

    [Fact]
    public async Task Fig4_step480_keeps_client_when_it_has_the_lowest_ratio_itself()
    {
        var net = new OfferNet(10, 10);
        net.Seed("n1", 8);
        net.Seed("n2", 9);

        var result = await net.AnnounceAsync("n1", "new");

        Assert.Equal("n1", result.Assignment!.Primary);
        Assert.Equal(0, result.Assignment.Bounces);
    }

    [Fact]
    public async Task Fig4_step485_bounced_to_node_accepts_above_its_threshold_and_does_not_bounce_again()
    {
        // n1 (round-robin pick) at 9/10 bounces to the lowest ratio n2 (8/10, at its own threshold);
        // n2 may not bounce again although n3 (8.5/10 → 17/20) is below capacity too.
        var net = new OfferNet(10, 10, 20);
        net.Seed("n1", 9);
        net.Seed("n2", 8);
        net.Seed("n3", 17);

        var result = await net.AnnounceAsync("n1", "new");

        Assert.Equal("n2", result.Assignment!.Primary);
        Assert.Equal(["n1", "n2"], result.Offered);
    }

    [Fact]
    public async Task Fig4_step450_the_round_robin_pick_is_offered_first_and_decides_remotely()
    {
        var net = new OfferNet(10, 10, 10);

        var first = await net.AnnounceAsync("n2", "a");
        var second = await net.AnnounceAsync("n2", "b");
        var third = await net.AnnounceAsync("n2", "c");

        Assert.Equal(["n1", "n2", "n3"], new[] { first, second, third }.Select(r => r.Assignment!.Primary));
        Assert.Equal(["n1", "n3"], net.Offers);
    }

    [Fact]
    public async Task An_unreachable_potential_primary_is_skipped_for_the_lowest_ratio_node_not_yet_offered()
    {
        var net = new OfferNet(10, 10, 10);
        net.Seed("n2", 1);
        net.Seed("n3", 5);
        net.Unreachable.Add("n1");

        var result = await net.AnnounceAsync("n2", "new");

        Assert.Equal(["n1", "n2"], result.Offered);
        Assert.Equal("n2", result.Assignment!.Primary);
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
    public async Task Fig4_cluster_full_when_no_eligible_node_is_below_capacity()
    {
        var net = new OfferNet(2, 2);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(PlacementOutcome.Placed, (await net.AnnounceAsync("n1", $"c{i}")).Outcome);
        }

        var result = await net.AnnounceAsync("n1", "one-too-many");

        Assert.Equal(PlacementOutcome.ClusterFull, result.Outcome);
        Assert.Null(result.Assignment);
        Assert.All(net["n1"].Nodes, n => Assert.Equal(2, n.PrimaryCount));
        Assert.All(net["n2"].Nodes, n => Assert.Equal(2, n.PrimaryCount));
    }

    [Fact]
    public async Task Fig4_step485_with_max_bounces_zero_a_full_pick_falls_back_to_a_node_below_capacity()
    {
        var net = new OfferNet(new ClusterOptions { MaxBounces = 0 }, 2, 10);
        net.Seed("n1", 2);

        var result = await net.AnnounceAsync("n1", "new");

        Assert.Equal("n2", result.Assignment!.Primary);
        Assert.Equal(["n1", "n2"], result.Offered);
    }

    [Fact]
    public async Task Capacity_cut_below_primary_count_stops_admissions_and_moves_nobody()
    {
        var net = new OfferNet(10, 10);
        for (var i = 0; i < 10; i++)
        {
            await net.AnnounceAsync("n1", $"c{i}");
        }

        var before = net["n1"].Assignments().ToDictionary(a => a.ClientId);

        net.SetCapacity("n1", 2);
        for (var i = 0; i < 4; i++)
        {
            await net.AnnounceAsync("n1", $"late{i}");
        }

        Assert.Equal(before.Values.OrderBy(a => a.ClientId), net["n1"].Assignments().Where(a => before.ContainsKey(a.ClientId)).OrderBy(a => a.ClientId));
        Assert.Equal(5, net["n1"].Primaries("n1"));
        Assert.Equal(9, net["n1"].Primaries("n2"));
        Assert.Equal(9, net["n2"].Primaries("n2"));
    }

    [Fact]
    public void Fig4_step460_offer_decided_by_the_potential_primary_itself()
    {
        var state = TestCluster.Create(10, 10);
        state.Seed("n1", 8);

        Assert.Equal(new AdmissionDecision(AdmissionOutcome.Bounce, "n2"), state.DecideOffer(0, []));
        Assert.Equal(new AdmissionDecision(AdmissionOutcome.Accept, null), state.DecideOffer(1, ["n2"]));
    }

    [Fact]
    public void Re_placement_on_the_local_view_runs_the_same_loop()
    {
        // ClusterState.Announce places on this node's view alone (used when this node re-places for failed nodes):
        // the same rules give the same answer as the networked placement above.
        var state = TestCluster.Create(10, 10, 10);
        state.Seed("n1", 8);
        state.Seed("n2", 5);
        state.Seed("n3", 2);

        var result = state.Announce("new");

        Assert.Equal("n3", result.Assignment!.Primary);
        Assert.Equal(["n1", "n3"], result.Offered);
    }
}
