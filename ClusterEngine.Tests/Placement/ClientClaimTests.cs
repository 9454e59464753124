using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>
/// A client id is claimed once cluster-wide (issue 11, case 2; docs/identity.md): the claim holders are the first two Up
/// nodes of the id's rendezvous order; each grants one pending claim, answers Exists once the client is known and
/// Contended while another announce holds the claim; a client is placed only when both grant, so two announcers whose
/// views are one membership change apart are decided by the holder they share.
/// </summary>
public sealed class ClientClaimTests
{
    [Fact]
    public void The_owner_is_the_same_on_every_view_and_does_not_depend_on_the_order_of_the_candidates()
    {
        var ids = Enumerable.Range(0, 200).Select(i => $"device-{i}").ToList();
        string[] nodes = ["n1", "n2", "n3"];

        var owners = ids.Select(id => ClaimOwnership.Order(id, nodes)[0]).ToList();

        Assert.Equal(owners, ids.Select(id => ClaimOwnership.Order(id, nodes.Reverse())[0]));
        Assert.All(nodes, n => Assert.InRange(owners.Count(o => o == n), 40, 100)); // spread, not all on one node
    }

    [Fact]
    public void The_holders_found_in_one_pass_are_the_first_two_of_the_sorted_order_for_any_set_of_nodes()
    {
        var random = new Random(17);
        for (var round = 0; round < 2_000; round++)
        {
            var clientId = $"device-{random.Next()}";
            var nodes = Enumerable.Range(0, random.Next(0, 7)).Select(_ => $"n{random.Next(0, 40)}").Distinct().ToArray();

            var expected = ClaimOwnership.Order(clientId, nodes).Take(ClaimOwnership.HolderCount).ToArray();

            Assert.Equal(expected, ClaimOwnership.HoldersOf(clientId, nodes));
        }
    }

    [Fact]
    public void Losing_a_node_moves_only_the_ids_it_owned()
    {
        var ids = Enumerable.Range(0, 300).Select(i => $"device-{i}").ToList();

        var before = ids.ToDictionary(id => id, id => ClaimOwnership.Order(id, ["n1", "n2", "n3"])[0]);
        var after = ids.ToDictionary(id => id, id => ClaimOwnership.Order(id, ["n1", "n3"])[0]);

        Assert.All(ids.Where(id => before[id] != "n2"), id => Assert.Equal(before[id], after[id]));
    }

    [Fact]
    public void The_owner_grants_one_claim_answers_Contended_to_another_and_Granted_again_to_the_same()
    {
        var net = new OfferNet(100, 100, 100);
        var owner = OwnerOf(net, "dup");

        var first = net.ClaimsOf(owner).OnClaim("n1", new ClaimRequest("dup", "claim-a"));
        var second = net.ClaimsOf(owner).OnClaim("n2", new ClaimRequest("dup", "claim-b"));
        var retry = net.ClaimsOf(owner).OnClaim("n1", new ClaimRequest("dup", "claim-a"));

        Assert.Equal(ClaimOutcome.Granted, first.Outcome);
        Assert.Equal(ClaimOutcome.Contended, second.Outcome);
        Assert.Equal(ClaimOutcome.Granted, retry.Outcome);
    }

    [Fact]
    public void A_claim_whose_announce_died_expires_and_a_released_one_is_free_at_once()
    {
        var net = new OfferNet(new ClusterOptions { ClientClaimTimeout = TimeSpan.FromSeconds(10) }, 100, 100, 100);
        var claims = net.ClaimsOf(OwnerOf(net, "gone"));
        claims.OnClaim("n1", new ClaimRequest("gone", "dead-announce"));

        net.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(ClaimOutcome.Contended, claims.OnClaim("n2", new ClaimRequest("gone", "next")).Outcome);
        net.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(ClaimOutcome.Granted, claims.OnClaim("n2", new ClaimRequest("gone", "next")).Outcome);

        claims.OnRelease("n2", new ClaimRequest("gone", "next"));
        Assert.Equal(ClaimOutcome.Granted, claims.OnClaim("n3", new ClaimRequest("gone", "third")).Outcome);
    }

    [Fact]
    public async Task A_placed_client_is_Exists_at_the_owner_and_a_second_announce_anywhere_is_existing_not_placed()
    {
        var net = new OfferNet(100, 100, 100);

        var first = await net.AnnounceAsync("n1", "once");
        var again = await Task.WhenAll(net.AnnounceAsync("n2", "once"), net.AnnounceAsync("n3", "once"));

        Assert.Equal(PlacementOutcome.Placed, first.Outcome);
        Assert.All(again, r => Assert.Equal(PlacementOutcome.Existing, r.Outcome));
        Assert.Equal(ClaimOutcome.Exists, net.ClaimsOf(OwnerOf(net, "once")).OnClaim("n2", new ClaimRequest("once", "x")).Outcome);
    }

    [Fact]
    public async Task A_node_that_never_learned_a_client_gets_it_as_existing_from_the_owner_with_its_assignment()
    {
        var net = new OfferNet(100, 100, 100);
        var owner = OwnerOf(net, "known");
        var stranger = new[] { "n1", "n2", "n3" }.First(n => n != owner);
        var delta = new AssignmentDelta("known", owner, null, new AssignmentVersion(5, owner), 0, AssignmentChangeReason.Assigned);
        net[owner].Apply([delta]); // only the owner knows it (the stranger was away)

        var result = await net.AnnounceAsync(stranger, "known");

        Assert.Equal(PlacementOutcome.Existing, result.Outcome);
        Assert.Equal(owner, result.Assignment!.Primary);
        Assert.Equal(owner, net[stranger].GetAssignment("known")!.Primary);
    }

    [Fact]
    public void A_holder_that_is_not_Up_grants_nothing()
    {
        var net = new OfferNet(100, 100, 100);
        var owner = OwnerOf(net, "c");

        net.SetSelf(owner, NodeState.Joining);

        Assert.Equal(ClaimOutcome.NotReady, net.ClaimsOf(owner).OnClaim("n1", new ClaimRequest("c", "x")).Outcome);
    }

    [Fact]
    public async Task Two_announces_of_one_id_while_a_joining_node_turns_Up_in_some_views_only_are_decided_by_the_holder_both_ask()
    {
        // n4 has just turned Up: n1 and n4 see it Up, the others do not yet. Pick an id whose order over all four starts
        // with n4, so the two views name different first holders (the old single-owner claim granted both: n4 in one
        // view, the owner of the other view in the other).
        var net = new OfferNet(100, 100, 100, 100);
        var id = Enumerable.Range(0, 500).Select(i => $"device-{i}").First(i =>
            ClaimOwnership.Order(i, ["n1", "n2", "n3", "n4"]) is ["n4", var second, ..] && second != "n1" && second != "n3");
        var sharedHolder = ClaimOwnership.Order(id, ["n1", "n2", "n3"])[0]; // n2: first without n4, second with it
        foreach (var stale in new[] { "n2", "n3" })
        {
            net[stale].SetState("n4", NodeState.Joining);
        }

        var atN1 = await net.ClaimsOf("n1").ClaimAsync(id, null, CancellationToken.None);
        var atN3 = await net.ClaimsOf("n3").ClaimAsync(id, null, CancellationToken.None);

        Assert.Equal("n2", sharedHolder);
        Assert.Equal(ClaimOutcome.Granted, atN1.Outcome);
        Assert.Equal(["n4", "n2"], atN1.Holders);
        Assert.Equal(ClaimOutcome.Contended, atN3.Outcome);
        Assert.Equal(1, net.ClaimsOf("n2").PendingCount);
        Assert.Equal(0, net.ClaimsOf("n1").PendingCount + net.ClaimsOf("n3").PendingCount); // n3's other holder released its grant
    }

    [Fact]
    public async Task A_holder_that_refuses_makes_the_other_release_its_grant()
    {
        var net = new OfferNet(100, 100, 100);
        var holders = ClaimOwnership.HoldersOf("x", net["n1"].Snapshot);
        net.ClaimsOf(holders[1]).OnClaim("n9", new ClaimRequest("x", "rival"));
        var announcer = holders[0];

        var result = await net.ClaimsOf(announcer).ClaimAsync("x", null, CancellationToken.None);

        Assert.Equal(ClaimOutcome.Contended, result.Outcome);
        Assert.Equal(0, net.ClaimsOf(holders[0]).PendingCount);
    }

    [Fact]
    public async Task An_unreachable_owner_that_others_still_see_Up_gives_503_and_one_they_see_Down_moves_to_the_next()
    {
        var net = new OfferNet(100, 100, 100);
        var owner = OwnerOf(net, "far");
        var announcer = new[] { "n1", "n2", "n3" }.First(n => n != owner);
        net.ClaimsUnreachable.Add(owner);

        Assert.Equal(PlacementOutcome.Unavailable, (await net.AnnounceAsync(announcer, "far")).Outcome);

        foreach (var id in new[] { "n1", "n2", "n3" }.Where(n => n != owner))
        {
            net[id].SetState(owner, NodeState.Down);
        }

        Assert.Equal(PlacementOutcome.Placed, (await net.AnnounceAsync(announcer, "far")).Outcome);
    }

    [Fact]
    public async Task Offers_refused_below_capacity_are_not_a_full_cluster_and_release_the_claim()
    {
        // Two nodes far from capacity; node-2 is frozen for a moment (its offers go unanswered) and node-1, hearing nobody,
        // has no quorum (it refuses its own offer). Found by attack: the announce answered "The cluster is full" (Retry-After 30).
        var net = new OfferNet(10, 10);
        net.Unreachable.Add("n2");
        net.SetQuorum("n1", false);

        var refused = await net.AnnounceAsync("n1", "blip");

        Assert.Equal(PlacementOutcome.Refused, refused.Outcome);
        Assert.Contains("n2", net.Offers);
        Assert.Equal(0, net.ClaimsOf("n1").PendingCount + net.ClaimsOf("n2").PendingCount);

        net.Unreachable.Remove("n2");
        net.SetQuorum("n1", true);
        Assert.Equal(PlacementOutcome.Placed, (await net.AnnounceAsync("n1", "blip")).Outcome);
    }

    [Fact]
    public async Task A_full_cluster_releases_the_claim()
    {
        var net = new OfferNet(1, 1);
        net.Seed("n1", 1);
        net.Seed("n2", 1);
        var owner = OwnerOf(net, "late");

        Assert.Equal(PlacementOutcome.ClusterFull, (await net.AnnounceAsync("n1", "late")).Outcome);
        Assert.Equal(0, net.ClaimsOf(owner).PendingCount);
    }

    [Fact]
    public async Task An_offer_that_outlives_the_claims_budget_gives_503_and_releases_the_claim()
    {
        // Budget = half the claim's lifetime (200 ms here). n1 is full, so the client must go to n2, whose offer never answers.
        var net = new OfferNet(new ClusterOptions { ClientClaimTimeout = TimeSpan.FromMilliseconds(400) }, 1, 10);
        net.Seed("n1", 1);
        net.Hanging.Add("n2");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        var result = await net.AnnounceAsync("n1", "slow").WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(PlacementOutcome.Unavailable, result.Outcome);
        Assert.Contains("n2", net.Offers);
        Assert.InRange(System.Diagnostics.Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(190), TimeSpan.FromSeconds(10));
        Assert.Equal(0, net.ClaimsOf("n1").PendingCount + net.ClaimsOf("n2").PendingCount);
        Assert.Null(net["n1"].GetAssignment("slow"));
    }

    private static string OwnerOf(OfferNet net, string clientId) => ClaimOwnership.HoldersOf(clientId, net["n1"].Snapshot)[0];
}
