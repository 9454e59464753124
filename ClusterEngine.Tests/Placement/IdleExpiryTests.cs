using ClusterEngine.Membership;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Placement;

/// <summary>docs/architecture.md §5: a client not seen for Cluster:ClientIdleTimeout is removed and frees its slot.</summary>
public sealed class IdleExpiryTests
{
    [Fact]
    public void Clients_unseen_for_the_idle_timeout_are_removed_and_requests_keep_clients_alive()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var state = new ClusterState("n1", new ClusterOptions(), time: clock);
        state.AddOrUpdateNode(new NodeInfo("n1", "http://n1", 10));
        state.Announce("idle");
        state.Announce("busy");

        clock.Advance(TimeSpan.FromDays(6));
        state.Route("busy");
        clock.Advance(TimeSpan.FromDays(2));
        var removed = state.ExpireIdle(TimeSpan.FromDays(7));

        Assert.Equal(["idle"], removed.Select(r => r.ClientId));
        Assert.True(removed[0].IsRemoval);
        Assert.Null(state.GetAssignment("idle"));
        Assert.NotNull(state.GetAssignment("busy"));
        Assert.Equal(1, state.GetNode("n1")!.PrimaryCount);
    }

    [Fact]
    public void An_id_announced_again_after_its_idle_removal_is_seen_now_and_not_removed_by_the_next_pass()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var state = new ClusterState("n1", new ClusterOptions(), time: clock);
        state.AddOrUpdateNode(new NodeInfo("n1", "http://n1", 10));
        state.Announce("reused");
        clock.Advance(TimeSpan.FromDays(8));
        Assert.Equal(["reused"], state.ExpireIdle(TimeSpan.FromDays(7)).Select(r => r.ClientId));

        state.Announce("reused"); // another device takes the freed id
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(state.ExpireIdle(TimeSpan.FromDays(7)));
        Assert.NotNull(state.GetAssignment("reused"));
        clock.Advance(TimeSpan.FromDays(6)); // the new registration's own idle timeout counts from its announce
        Assert.Empty(state.ExpireIdle(TimeSpan.FromDays(7)));
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(["reused"], state.ExpireIdle(TimeSpan.FromDays(7)).Select(r => r.ClientId));
    }

    [Fact]
    public void A_promotion_does_not_count_as_a_sighting_and_a_client_placed_anew_counts_from_its_placement()
    {
        // Issue 10 item 11: failing a node's clients over went through the request path, which recorded every one of
        // them as seen, so each node failure postponed the idle expiry of all its clients by a whole timeout. The promoted
        // alternate has the primary's last-seen notes (ClientsSeen); a client whose primary and alternate both failed is
        // placed anew on a node that never had a sighting of it, which counts from the new placement (docs/architecture.md §5).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var state = View("n2", clock, 3);
        var peer = View("n3", clock, 3); // applies the reassignment as a delta
        state.Apply([Delta("promoted", "n1", "n2"), Delta("placed-anew", "n1", "n3")]);
        peer.Apply([Delta("placed-anew", "n1", "n3")]);

        clock.Advance(TimeSpan.FromDays(6));
        state.SetState("n1", NodeState.Down);
        state.SetState("n3", NodeState.Down);
        var failedOver = state.FailOverNode("n1", "n2");
        peer.Apply(failedOver.Where(d => d.ClientId == "placed-anew"));
        clock.Advance(TimeSpan.FromDays(2));
        var removed = state.ExpireIdle(TimeSpan.FromDays(7), "n2");

        Assert.All(failedOver, d => Assert.Equal("n2", d.Primary));
        Assert.Equal(2, failedOver.Count);
        Assert.Equal(["promoted"], removed.Select(r => r.ClientId));
        Assert.Empty(peer.ExpireIdle(TimeSpan.FromDays(7)));
        clock.Advance(TimeSpan.FromDays(5) + TimeSpan.FromSeconds(1)); // a week after the new placement
        Assert.Equal(["placed-anew"], state.ExpireIdle(TimeSpan.FromDays(7), "n2").Select(r => r.ClientId));
        Assert.Equal(["placed-anew"], peer.ExpireIdle(TimeSpan.FromDays(7)).Select(r => r.ClientId));
    }

    [Fact]
    public void An_alternate_promoted_by_a_failover_counts_idleness_from_the_primarys_last_request()
    {
        // The primary alone routes a client's requests; its alternate measured idleness from the day the client was placed.
        // A failover after a week removed every client of the failed node at the alternate's next idle pass, the ones seen
        // yesterday too. The primary's last-seen notes (ClientsSeen) fix that.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var n1 = View("n1", clock, 2);
        var n2 = View("n2", clock, 2);
        foreach (var view in new[] { n1, n2 })
        {
            view.Apply([Delta("active", "n1", "n2"), Delta("gone", "n1", "n2")]);
        }

        clock.Advance(TimeSpan.FromDays(6));
        Assert.Equal(ClusterEngine.Affinity.AffinityKind.Primary, n1.Route("active").Kind);
        var notes = n1.TakeSeen();
        Assert.Empty(n1.TakeSeen()); // taken once
        var note = Assert.Single(notes);
        Assert.Equal(("active", null, "n2"), (note.Seen.ClientId, note.Primary, note.Alternate));
        Assert.Equal(clock.GetUtcNow().ToUnixTimeSeconds(), note.Seen.At);
        Assert.Equal(1, n2.ApplySeen([note.Seen]));

        clock.Advance(TimeSpan.FromDays(2));
        n2.SetState("n1", NodeState.Down);
        Assert.Equal(2, n2.FailOverNode("n1", "n2").Count);
        Assert.Equal(["gone"], n2.ExpireIdle(TimeSpan.FromDays(7), "n2").Select(r => r.ClientId));
        Assert.Equal("n2", n2.GetAssignment("active")!.Primary);
        clock.Advance(TimeSpan.FromDays(5) + TimeSpan.FromSeconds(1)); // a week after the last request, not after the failover
        Assert.Equal(["active"], n2.ExpireIdle(TimeSpan.FromDays(7), "n2").Select(r => r.ClientId));
    }

    [Fact]
    public void A_peers_last_seen_time_only_moves_a_live_clients_time_forward_and_never_past_the_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var state = View("n2", clock, 2);
        state.Apply([Delta("c1", "n1", "n2"), Delta("c2", "n1", "n2")]);
        var placed = clock.GetUtcNow().ToUnixTimeSeconds();
        clock.Advance(TimeSpan.FromDays(3));
        state.Apply([new ClusterEngine.Placement.AssignmentDelta("c2", null, null, new ClusterEngine.Placement.AssignmentVersion(2, "n1"), 0,
            ClusterEngine.Placement.AssignmentChangeReason.Removed)]);

        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        Assert.Equal(0, state.ApplySeen([new("c1", placed - 86_400), new("c2", now), new("unknown", now)])); // older; removed; unknown
        Assert.Equal(1, state.ApplySeen([new("c1", now + (86_400 * 365))])); // a clock far ahead counts as now, not as next year
        clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        Assert.Equal(["c1"], state.ExpireIdle(TimeSpan.FromDays(7), "n1").Select(r => r.ClientId));
    }

    [Fact]
    public void A_session_renewed_at_a_third_node_is_queued_for_the_clients_primary_and_alternate()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var state = new ClusterState("n3", new ClusterOptions(), time: clock);
        for (var i = 1; i <= 3; i++)
        {
            state.AddOrUpdateNode(new NodeInfo($"n{i}", $"http://n{i}", 10, Order: i));
        }

        state.Apply([Delta("renewing", "n1", "n2")]);
        Assert.True(state.MarkSeen("renewing"));
        Assert.False(state.MarkSeen("stranger"));
        state.Route("renewing"); // routed here as a first hop: its primary sees the forwarded request itself

        var note = Assert.Single(state.TakeSeen());
        Assert.Equal(("renewing", "n1", "n2"), (note.Seen.ClientId, note.Primary, note.Alternate));
        var batches = ClusterEngine.Backplane.ClientSeenRelay.ByNode([note]).ToList();
        Assert.Equal(["n1", "n2"], batches.Select(b => b.NodeId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Seen_notes_go_out_in_batches_the_hub_admits()
    {
        var notes = Enumerable.Range(0, 1_200).Select(i => new SeenNote(new($"c{i}", 1_800_000_000), "n1", i % 2 == 0 ? "n2" : null)).ToList();

        var batches = ClusterEngine.Backplane.ClientSeenRelay.ByNode(notes).ToList();

        Assert.All(batches, b => Assert.True(b.Batch.Length <= ClusterEngine.Backplane.BackplaneMethods.BatchSize));
        Assert.Equal(1_200, batches.Where(b => b.NodeId == "n1").Sum(b => b.Batch.Length));
        Assert.Equal(600, batches.Where(b => b.NodeId == "n2").Sum(b => b.Batch.Length));
    }

    [Fact]
    public void A_node_that_may_not_decide_removes_nobody_as_idle()
    {
        // A node cut off on a minority side for longer than the timeout sees none of its clients' requests (the majority
        // serves them) and still holds itself as their primary: its removals, newer than the majority's failovers, won
        // when the partition healed and removed every such client cluster-wide, active or not.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var state = View("n1", clock, 2);
        state.Apply([Delta("unseen-here", "n1", "n2")]);
        var node = new ClusterNode(state, new ClusterEngine.Changes.ClusterChanges());
        var options = Microsoft.Extensions.Options.Options.Create(new ClusterOptions { ClientIdleTimeout = TimeSpan.FromDays(7) });
        var self = new LocalNodeStatus(node, options, clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalNodeStatus>.Instance);
        var expiry = new IdleClientExpiry(node, options, clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<IdleClientExpiry>.Instance, self);
        self.SetAlone(true); // ticks aside: this test is about the standing
        clock.Advance(TimeSpan.FromDays(8));

        Assert.Empty(expiry.Pass()); // Joining: restarted, not caught up yet
        self.Set(NodeState.Up);
        self.SetQuorum(false);
        Assert.Empty(expiry.Pass()); // a minority side
        self.SetQuorum(true);
        self.SetFreshQuorum(false);
        Assert.Empty(expiry.Pass()); // a quorum on stale leases
        self.SetFreshQuorum(true);
        self.SetRemoved(true);
        Assert.Empty(expiry.Pass()); // removed by an operator
        self.SetRemoved(false);
        self.Set(NodeState.Leaving);
        Assert.Empty(expiry.Pass()); // handing over
        self.Set(NodeState.Up);

        Assert.Equal(["unseen-here"], expiry.Pass().Select(r => r.ClientId));
    }

    [Fact]
    public void Last_seen_times_are_queued_for_the_store_once_per_twentieth_of_the_timeout()
    {
        // A client seen all day is written a few times a day at the 7-day default, not at every sighting.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var state = new ClusterState("n1", new ClusterOptions { ClientIdleTimeout = TimeSpan.FromDays(7) }, time: clock);
        state.AddOrUpdateNode(new NodeInfo("n1", "http://n1", 10));
        state.Announce("busy");
        Assert.Equal(30_240u, state.SeenStep);
        var queued = 0;
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            state.Route("busy");
            queued += state.TakeSeenToStore().Count;
        }

        Assert.InRange(queued, 2, 3); // 86,400 s / 30,240 s
        var stored = clock.GetUtcNow().ToUnixTimeSeconds() - 10;
        state.RestoreSeen([new("busy", stored), new("unknown", stored)]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(stored + 30_240) > clock.GetUtcNow() ? clock.GetUtcNow() : DateTimeOffset.FromUnixTimeSeconds(stored + 30_240),
            state.QueryClients(new ClusterEngine.Placement.ClientQuery(0, 1)).Rows.Single().LastSeen); // plus one step, never past now
    }

    [Fact]
    public void A_busy_clients_time_travels_once_per_step_and_a_renewed_session_at_once()
    {
        // Bytes on the wire: a client seen every minute is relayed a few times a day at the 7-day default, not every minute.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var primary = View("n1", clock, 2);
        var alternate = View("n2", clock, 2);
        primary.Apply([Delta("busy", "n1", "n2")]);
        alternate.Apply([Delta("busy", "n1", "n2")]);
        var relayed = 0;
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            primary.Route("busy");
            relayed += primary.TakeSeen().Count;
        }

        Assert.InRange(relayed, 2, 3); // 86,400 s / 30,240 s
        Assert.True(primary.MarkSeen("busy"));
        Assert.Single(primary.TakeSeen());

        // The receiver takes a note as its step's start plus one step, never past its clock.
        var sent = clock.GetUtcNow().ToUnixTimeSeconds() - 40_000;
        Assert.Equal(1, alternate.ApplySeen([new("busy", sent)]));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(sent + alternate.SeenStep), alternate.QueryClients(new ClusterEngine.Placement.ClientQuery(0, 1)).Rows.Single().LastSeen);
    }

    [Fact]
    public void A_new_alternate_hears_when_the_client_was_last_seen_from_the_node_that_chose_it()
    {
        // Found by attack: notes went out only when a time moved, so an alternate chosen by a failover or a role repair
        // kept the time it first stored the assignment; when the primary failed next, it removed a client seen minutes
        // before at its first idle pass.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var n1 = View("n1", clock, 3);
        var n3 = View("n3", clock, 3);
        foreach (var view in new[] { n1, n3 })
        {
            view.Apply([Delta("quiet", "n1", "n2")]);
        }

        clock.Advance(TimeSpan.FromDays(6));
        n1.Route("quiet"); // its last request
        n1.TakeSeen(); // to n2, which fails next

        n1.SetState("n2", NodeState.Down);
        Assert.False(n1.SeenUrgent.IsCompleted);
        var repaired = n1.FailOverNode("n2", "n1"); // a new alternate for the clients of n1 that n2 held
        Assert.Equal("n3", Assert.Single(repaired).Alternate);
        Assert.True(n1.SeenUrgent.IsCompleted); // sent at once: n1 may fail before its next period (attack: two crashes 1.5 s apart)
        n3.Apply(repaired);
        var note = Assert.Single(n1.TakeSeen());
        Assert.False(n1.SeenUrgent.IsCompleted);
        Assert.Equal((null, "n3"), (note.Primary, note.Alternate));
        n3.ApplySeen([note.Seen]);

        clock.Advance(TimeSpan.FromDays(2)); // n1 fails too: n3 is promoted
        n3.SetState("n1", NodeState.Down);
        n3.SetState("n2", NodeState.Down);
        Assert.Equal("n3", Assert.Single(n3.FailOverNode("n1", "n3")).Primary);
        Assert.Empty(n3.ExpireIdle(TimeSpan.FromDays(7), "n3"));
        clock.Advance(TimeSpan.FromDays(5) + TimeSpan.FromSeconds(n3.SeenStep + 1));
        Assert.Equal(["quiet"], n3.ExpireIdle(TimeSpan.FromDays(7), "n3").Select(r => r.ClientId));
    }

    [Fact]
    public void A_leaving_primary_tells_the_holders_its_hand_over_chose()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var n1 = View("n1", clock, 3);
        n1.Apply([Delta("handed", "n1", "n2")]);
        n1.TakeSeen();

        var (changes, kept) = n1.HandOver("n1");

        Assert.Equal(0, kept);
        var handed = Assert.Single(changes);
        var note = Assert.Single(n1.TakeSeen());
        Assert.Equal((handed.Primary, handed.Alternate), (note.Primary, note.Alternate));
        Assert.Equal(("n2", "n3"), (note.Primary, note.Alternate));
    }

    /// <summary>The view of <paramref name="self"/> in a cluster of n1…n<paramref name="nodes"/> (capacity 10 each).</summary>
    private static ClusterState View(string self, TimeProvider clock, int nodes)
    {
        var state = new ClusterState(self, new ClusterOptions(), time: clock);
        for (var i = 1; i <= nodes; i++)
        {
            state.AddOrUpdateNode(new NodeInfo($"n{i}", $"http://n{i}", 10, Order: i));
        }

        return state;
    }

    private static ClusterEngine.Placement.AssignmentDelta Delta(string clientId, string primary, string alternate) =>
        new(clientId, primary, alternate, new ClusterEngine.Placement.AssignmentVersion(1, primary), 0, ClusterEngine.Placement.AssignmentChangeReason.Assigned);
}
