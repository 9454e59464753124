using ClusterEngine.Backplane;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>
/// A lost announce answer (docs/identity.md): the claim holders that granted a new id's claim keep its retry tag for
/// <c>Cluster:AnnounceRetryWindow</c>, so the device that registered the id, repeating the announce with the same key and
/// no token, is recognised at any node; another key, no key, or the same key after the window is not.
/// </summary>
public sealed class AnnounceRetryTests
{
    private static readonly string s_tag = AnnounceRetry.Tag("device-secret-0123456789abcdef");

    [Fact]
    public async Task The_registering_tag_is_recognised_at_every_node_and_another_tag_or_none_is_not()
    {
        var net = new OfferNet(100, 100, 100);

        var first = await net.AnnounceAsync("n1", "dev-r", s_tag);
        Assert.Equal(PlacementOutcome.Placed, first.Outcome);
        Assert.False(first.RetryMatched);

        foreach (var node in new[] { "n1", "n2", "n3" })
        {
            var retry = await net.AnnounceAsync(node, "dev-r", s_tag);
            Assert.Equal(PlacementOutcome.Existing, retry.Outcome);
            Assert.True(retry.RetryMatched, $"the retry at {node} was not recognised");
            Assert.Equal(first.Assignment!.Registration, retry.Assignment!.Registration);
        }

        Assert.False((await net.AnnounceAsync("n2", "dev-r", AnnounceRetry.Tag("someone-elses-key-0123456"))).RetryMatched);
        Assert.False((await net.AnnounceAsync("n2", "dev-r")).RetryMatched);
        Assert.Equal(1, net["n1"].Assignments().Count(a => a.ClientId == "dev-r"));
    }

    [Fact]
    public async Task The_tag_is_forgotten_after_the_window_and_an_announce_without_a_tag_registers_none()
    {
        var net = new OfferNet(100, 100, 100);
        await net.AnnounceAsync("n1", "dev-w", s_tag);
        await net.AnnounceAsync("n1", "dev-none");

        net.Time.Advance(new ClusterOptions().AnnounceRetryWindow - TimeSpan.FromSeconds(1));
        Assert.True((await net.AnnounceAsync("n3", "dev-w", s_tag)).RetryMatched);
        Assert.False((await net.AnnounceAsync("n3", "dev-none", s_tag)).RetryMatched); // registered without a key: only its token

        net.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.False((await net.AnnounceAsync("n3", "dev-w", s_tag)).RetryMatched);
    }

    [Fact]
    public async Task One_holder_unreachable_the_other_recognises_the_tag_both_unreachable_is_unavailable_not_existing()
    {
        var net = new OfferNet(100, 100, 100);
        await net.AnnounceAsync("n1", "dev-u", s_tag);
        var holders = ClaimOwnership.HoldersOf("dev-u", ["n1", "n2", "n3"]);
        var third = new[] { "n1", "n2", "n3" }.Single(n => !holders.Contains(n));
        net.ClaimsUnreachable.Add(holders[0]);

        Assert.True((await net.AnnounceAsync(third, "dev-u", s_tag)).RetryMatched);

        net.ClaimsUnreachable.Add(holders[1]);
        var retry = await net.AnnounceAsync(third, "dev-u", s_tag);
        var stranger = await net.AnnounceAsync(third, "dev-u", AnnounceRetry.Tag("a-key-nobody-registered-0123"));

        Assert.Equal(PlacementOutcome.Unavailable, retry.Outcome); // 503 "retry", not 401 "show your token": the holders may know
        Assert.Equal(PlacementOutcome.Unavailable, stranger.Outcome);
        net.ClaimsUnreachable.Clear();
        Assert.Equal((PlacementOutcome.Existing, false), ((await net.AnnounceAsync(third, "dev-u", AnnounceRetry.Tag("a-key-nobody-registered-0123"))) is var s ? (s.Outcome, s.RetryMatched) : default));
    }

    [Fact]
    public async Task Both_holders_Down_an_unrecognised_retry_is_unavailable_not_existing_and_the_holders_back_recognise_it()
    {
        // Found by attack: with both holders Down (not merely unreachable) the node left asked only itself and answered 401;
        // the holders, restarted with their stored tags, then answered the same retry with 201.
        var net = new OfferNet(100, 100, 100);
        var holders = ClaimOwnership.HoldersOf("dev-d", ["n1", "n2", "n3"]);
        var third = new[] { "n1", "n2", "n3" }.Single(n => !holders.Contains(n));
        await net.AnnounceAsync(third, "dev-d", s_tag);
        foreach (var holder in holders)
        {
            net[third].SetState(holder, ClusterEngine.Membership.NodeState.Down);
        }

        Assert.Equal(PlacementOutcome.Unavailable, (await net.AnnounceAsync(third, "dev-d", s_tag)).Outcome); // 503: they may know
        Assert.Equal(PlacementOutcome.Unavailable, (await net.AnnounceAsync(third, "dev-d", AnnounceRetry.Tag("a-key-nobody-registered-0123"))).Outcome);
        foreach (var holder in holders)
        {
            net[third].SetState(holder, ClusterEngine.Membership.NodeState.Up);
        }

        Assert.True((await net.AnnounceAsync(third, "dev-d", s_tag)).RetryMatched);
        Assert.Equal((PlacementOutcome.Existing, false),
            ((await net.AnnounceAsync(third, "dev-d", AnnounceRetry.Tag("a-key-nobody-registered-0123"))) is var s ? (s.Outcome, s.RetryMatched) : default));
    }

    [Fact]
    public async Task Remembered_tags_do_not_make_a_removed_id_contended_and_a_new_registration_takes_its_own_tag()
    {
        var net = new OfferNet(100, 100, 100);
        await net.AnnounceAsync("n1", "dev-x", s_tag);
        var removed = net["n1"].Remove("dev-x")!;
        foreach (var node in new[] { "n1", "n2", "n3" })
        {
            net.Deliver(node, removed);
        }

        net.Time.Advance(TimeSpan.FromSeconds(30)); // past the claim's lifetime, inside the retry window
        var other = AnnounceRetry.Tag("another-device-key-0123456789");
        var again = await net.AnnounceAsync("n2", "dev-x", other);

        Assert.Equal(PlacementOutcome.Placed, again.Outcome);
        Assert.False((await net.AnnounceAsync("n3", "dev-x", s_tag)).RetryMatched); // the first device's key no longer opens it
        Assert.True((await net.AnnounceAsync("n3", "dev-x", other)).RetryMatched);
    }

    [Fact]
    public async Task Swept_claims_keep_their_tags_apart_until_the_window_closes_and_the_pending_claims_stay_few()
    {
        var net = new OfferNet(100_000, 100_000, 100_000);
        var ids = Enumerable.Range(0, 900).Select(i => $"dev-s{i}").ToList();
        foreach (var id in ids)
        {
            Assert.Equal(PlacementOutcome.Placed, (await net.AnnounceAsync("n1", id, AnnounceRetry.Tag($"key-of-{id}-0123456789"))).Outcome);
        }

        // Each node held the claims of about 600 ids: the claims are gone once placed, the tags stay for the window.
        Assert.All(new[] { "n1", "n2", "n3" }, n => Assert.True(net.TagsOf(n).Count > 0, $"{n} remembers no tag"));
        Assert.All(new[] { "n1", "n2", "n3" }, n => Assert.True(net.ClaimsOf(n).PendingCount < 300, $"{n} keeps {net.ClaimsOf(n).PendingCount} pending claims"));
        Assert.True((await net.AnnounceAsync("n2", ids[0], AnnounceRetry.Tag($"key-of-{ids[0]}-0123456789"))).RetryMatched);
        Assert.False((await net.AnnounceAsync("n2", ids[0], AnnounceRetry.Tag($"key-of-{ids[1]}-0123456789"))).RetryMatched);

        net.Time.Advance(new ClusterOptions().AnnounceRetryWindow + TimeSpan.FromSeconds(1));
        for (var i = 0; i < 900; i++)
        {
            await net.AnnounceAsync("n1", $"dev-t{i}"); // more grants: sweeps after the window
        }

        Assert.All(new[] { "n1", "n2", "n3" }, n => Assert.Equal(0, net.TagsOf(n).Count));
        Assert.False((await net.AnnounceAsync("n2", ids[0], AnnounceRetry.Tag($"key-of-{ids[0]}-0123456789"))).RetryMatched);
    }

    [Fact]
    public async Task A_holder_that_missed_a_removal_and_a_new_registration_does_not_open_the_new_one_with_the_old_tag()
    {
        // Found by attack: the holder was frozen while the id was removed and registered again by another device at other
        // holders; back, it knew the new assignment and still matched the first device's tag, which then got a token of
        // the second device's registration.
        var net = new OfferNet(100, 100, 100);
        await net.AnnounceAsync("n1", "dev-f", s_tag);
        var holder = ClaimOwnership.HoldersOf("dev-f", ["n1", "n2", "n3"])[0];
        Assert.True(net.ClaimsOf(holder).OnClaim("n2", new ClaimRequest("dev-f", "c-1", s_tag)).RetryMatched);

        net.Time.Advance(TimeSpan.FromSeconds(40)); // inside the retry window, and inside the claim's lifetime and the clock skew (found by the second attack)
        var others = new[] { "n1", "n2", "n3" }.Where(n => n != holder).ToArray();
        var removed = net[others[0]].Remove("dev-f")!;
        var again = net[others[0]].AcceptAsPrimary("dev-f", 0)!; // the second device's registration, decided without the holder's claims
        foreach (var node in new[] { "n1", "n2", "n3" }.Where(n => n != others[0] && n != holder))
        {
            net.Deliver(node, removed, again);
        }

        net.Deliver(holder, again); // the holder was away: it never saw the removal, only the newer registration

        Assert.NotEqual(0, net[holder].GetAssignment("dev-f")!.Registration);
        var reply = net.ClaimsOf(holder).OnClaim("n2", new ClaimRequest("dev-f", "c-2", s_tag));

        Assert.Equal(ClaimOutcome.Exists, reply.Outcome);
        Assert.False(reply.RetryMatched);
    }

    [Fact]
    public async Task A_node_that_became_a_holder_after_the_registration_does_not_hide_the_holders_that_granted_it()
    {
        // Found by attack: ids registered while n4 was away; once n4 was Up again and first in their order, only n4 was asked,
        // it had never seen their claims, and the devices with the right key got 401 (15 of 40).
        var net = new OfferNet(100, 100, 100, 100);
        foreach (var n in new[] { "n1", "n2", "n3", "n4" })
        {
            net[n].SetState("n4", ClusterEngine.Membership.NodeState.Down);
        }

        var ids = Enumerable.Range(0, 300).Select(i => $"dev-j{i}").Where(i => ClaimOwnership.Order(i, ["n1", "n2", "n3", "n4"])[0] == "n4").Take(5).ToList();
        Assert.NotEmpty(ids);
        foreach (var id in ids)
        {
            Assert.Equal(PlacementOutcome.Placed, (await net.AnnounceAsync("n1", id, AnnounceRetry.Tag($"key-{id}-0123456789"))).Outcome);
        }

        foreach (var n in new[] { "n1", "n2", "n3", "n4" })
        {
            net[n].SetState("n4", ClusterEngine.Membership.NodeState.Up);
        }

        foreach (var id in ids)
        {
            foreach (var at in new[] { "n2", "n4" })
            {
                var retry = await net.AnnounceAsync(at, id, AnnounceRetry.Tag($"key-{id}-0123456789"));
                Assert.True(retry.RetryMatched, $"{id} at {at}: {retry.Outcome}");
            }
        }

        Assert.Equal(0, net.ClaimsOf("n4").PendingCount); // n4 learned the ids by now; nothing it granted stays held
    }

    [Fact]
    public void Tags_are_32_hex_digits_of_the_key_and_a_peer_may_send_only_that_or_none()
    {
        Assert.Matches("^[0-9a-f]{32}$", s_tag);
        Assert.Equal(s_tag, AnnounceRetry.Tag("device-secret-0123456789abcdef"));
        Assert.NotEqual(s_tag, AnnounceRetry.Tag("device-secret-0123456789abcdeg"));
        Assert.True(AnnounceRetry.IsTagOrNone(null));
        Assert.True(AnnounceRetry.IsTagOrNone(s_tag));
        Assert.False(AnnounceRetry.IsTagOrNone(s_tag.ToUpperInvariant()));
        Assert.False(AnnounceRetry.IsTagOrNone(s_tag + "0"));
        Assert.False(AnnounceRetry.IsTagOrNone(new string('a', 10_000)));
        Assert.False(AnnounceRetry.IsTagOrNone(""));
    }

    [Fact]
    public async Task A_holder_answers_a_claim_for_a_known_id_with_whether_the_tag_matches()
    {
        var net = new OfferNet(100, 100, 100);
        await net.AnnounceAsync("n1", "dev-h", s_tag);
        var holder = ClaimOwnership.HoldersOf("dev-h", ["n1", "n2", "n3"])[0];

        var same = net.ClaimsOf(holder).OnClaim("n2", new ClaimRequest("dev-h", "c-1", s_tag));
        var other = net.ClaimsOf(holder).OnClaim("n2", new ClaimRequest("dev-h", "c-2", AnnounceRetry.Tag("zzzzzzzzzzzzzzzzzzzz")));

        Assert.Equal((ClaimOutcome.Exists, true), (same.Outcome, same.RetryMatched));
        Assert.Equal((ClaimOutcome.Exists, false), (other.Outcome, other.RetryMatched));
    }
}
