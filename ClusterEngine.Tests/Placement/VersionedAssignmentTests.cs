using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>Issue 2, item 8: versioned deltas merge commutatively and idempotently (last writer wins, ties by node id).</summary>
public sealed class VersionedAssignmentTests
{
    [Fact]
    public void Higher_version_wins_whatever_the_order_of_delivery()
    {
        var older = Delta("c1", "n1", "n2", 5, "n1");
        var newer = Delta("c1", "n2", "n3", 6, "n2");
        var a = TestCluster.Create(10, 10, 10);
        var b = TestCluster.Create(10, 10, 10);

        a.Apply([older, newer]);
        b.Apply([newer, older, newer, older]);

        Assert.Equal("n2", a.GetAssignment("c1")!.Primary);
        Assert.Equal(a.GetAssignment("c1"), b.GetAssignment("c1"));
        a.AssertCountsMatchTable();
        b.AssertCountsMatchTable();
    }

    [Fact]
    public void Equal_counters_are_ordered_by_node_id_on_every_node()
    {
        var fromN1 = Delta("c1", "n1", "n2", 7, "n1");
        var fromN3 = Delta("c1", "n3", "n1", 7, "n3");
        var a = TestCluster.Create(10, 10, 10);
        var b = TestCluster.Create(10, 10, 10);

        a.Apply([fromN1, fromN3]);
        b.Apply([fromN3, fromN1]);

        Assert.Equal("n3", a.GetAssignment("c1")!.Primary);
        Assert.Equal("n3", b.GetAssignment("c1")!.Primary);
    }

    [Fact]
    public void Two_nodes_assigning_the_same_new_client_at_once_converge_on_one_primary()
    {
        var views = new[] { "n1", "n2", "n3" }.Select(id =>
        {
            var s = new ClusterState(id, new ClusterOptions());
            for (var i = 1; i <= 3; i++)
            {
                s.AddOrUpdateNode(new NodeInfo($"n{i}", $"http://n{i}", 100, Order: i));
            }

            return s;
        }).ToArray();
        views[1].Announce("warm-up"); // make the round-robin cursors differ

        var d1 = views[0].Announce("dup").Change!;
        var d2 = views[1].Announce("dup").Change!;
        foreach (var v in views)
        {
            v.Apply([d1, d2]);
        }

        var final = views.Select(v => v.GetAssignment("dup")).Distinct().ToList();
        Assert.Single(final);
        Assert.All(views, v => Assert.Equal(1, v.Nodes.Sum(n => n.PrimaryCount) - (v.GetAssignment("warm-up") is null ? 0 : 1)));
    }

    [Fact]
    public void Removal_is_a_versioned_tombstone_an_older_assignment_cannot_undo()
    {
        var state = TestCluster.Create(10, 10);
        var assigned = state.Announce("c1").Change!;
        var removal = state.Remove("c1")!;

        state.Apply([assigned]);

        Assert.True(removal.IsRemoval);
        Assert.Null(state.GetAssignment("c1"));
        Assert.Equal(0, state.ClientCount);
        state.AssertCountsMatchTable();
    }

    [Fact]
    public void Local_decisions_get_versions_above_everything_seen()
    {
        var state = TestCluster.Create(10, 10);
        var seen = HybridClock.Floor(DateTimeOffset.UtcNow.AddHours(1)) + 41; // a peer's counter ahead of this node's wall time
        state.Apply([Delta("other", "n2", "n1", seen, "n2")]);

        var change = state.Announce("c1").Change!;

        Assert.Equal(new AssignmentVersion(seen + 1, "n1"), change.Version);
    }

    internal static AssignmentDelta Delta(string client, string primary, string? alternate, long counter, string by) =>
        new(client, primary, alternate, new AssignmentVersion(counter, by), 0, AssignmentChangeReason.Assigned);
}
