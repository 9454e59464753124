using ClusterEngine.Membership;
using ClusterEngine.Tests.Membership;
using ClusterEngine.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Placement;

/// <summary>
/// Versions ordered across restarts (docs/recovery.md, "Versions"): a decision made later in real time outranks one made
/// earlier, even by a node that never heard the earlier one; causality (one past the highest seen) is kept.
/// </summary>
public sealed class HybridClockTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_next_counter_is_past_the_highest_seen_and_at_least_the_wall_time()
    {
        var floor = HybridClock.Floor(Noon);

        Assert.Equal(Noon.ToUnixTimeMilliseconds() << HybridClock.LogicalBits, floor);
        Assert.Equal(floor, HybridClock.Next(5, Noon)); // an old plain Lamport count is far below
        Assert.Equal(floor + 1, HybridClock.Next(floor, Noon)); // a second decision in the same millisecond
        Assert.Equal(floor + 43, HybridClock.Next(floor + 42, Noon.AddMilliseconds(-3))); // the clock stepped back
        Assert.Equal(Noon, HybridClock.WallTime(floor + 7));
        Assert.Null(HybridClock.WallTime(12_345)); // a count from an older build carries no time
        Assert.True(HybridClock.Floor(new DateTimeOffset(3000, 1, 1, 0, 0, 0, TimeSpan.Zero)) < HybridClock.Max);
        Assert.Equal(0, HybridClock.Floor(DateTimeOffset.UnixEpoch.AddDays(-1)));
    }

    [Fact]
    public void A_node_back_from_an_old_table_decides_later_and_outranks_the_decisions_the_others_made_while_it_was_away()
    {
        // The re-attack's recipe in one process: n2's table is from before n1 and n3 made many decisions without it;
        // later, n2 alone fails n1's and n3's clients over to itself. When n1 returns, n2's later decisions must win —
        // with plain Lamport counters n1's higher counts won and moved every client back (docs/recovery.md).
        var time = new FakeTimeProvider(Noon);
        var n1 = View("n1", time);
        n1.AnnounceMany(30);
        var n2 = View("n2", time);
        n2.Apply(n1.Assignments().Select(Fig7ReconciliationTests.ToDelta).ToList()); // n2's stored table, then n2 stops

        time.Advance(TimeSpan.FromMinutes(1));
        n1.SetState("n2", NodeState.Down);
        n1.FailOverNode("n2");
        n1.AnnounceMany(2000, "busy"); // n1 counts far past anything n2 has seen
        Assert.True(n1.Clock > n2.Clock + 2000);

        time.Advance(TimeSpan.FromMinutes(5)); // n1 and n3 stop; n2 starts alone from its old table
        n2.SetState("n1", NodeState.Down);
        n2.SetState("n3", NodeState.Down);
        var survivorDecisions = n2.FailOverNode("n1").Concat(n2.FailOverNode("n3")).ToList();
        Assert.NotEmpty(survivorDecisions);

        time.Advance(TimeSpan.FromSeconds(30)); // n1 comes back and merges what n2 decided
        n1.Reconcile(survivorDecisions);

        foreach (var decided in survivorDecisions)
        {
            Assert.Equal(n2.GetAssignment(decided.ClientId), n1.GetAssignment(decided.ClientId));
            Assert.Equal("n2", n1.GetAssignment(decided.ClientId)!.Primary);
        }
    }

    private static ClusterState View(string self, TimeProvider time)
    {
        var state = new ClusterState(self, new ClusterOptions(), time: time);
        for (var i = 1; i <= 3; i++)
        {
            state.AddOrUpdateNode(new NodeInfo($"n{i}", $"http://127.0.0.1:{5100 + i}", 100, Order: i));
        }

        return state;
    }
}
