using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Membership;

/// <summary>Patent Fig. 7, steps 700–740: a node that becomes available again drops roles now held by others.</summary>
public sealed class Fig7ReconciliationTests
{
    [Fact]
    public void Fig7_step730_recovered_node_drops_primary_and_alternate_roles_that_newer_assignments_give_to_others()
    {
        // n1's own view before it went away: 60 clients over n1..n3.
        var n1 = TestCluster.Create(100, 100, 100);
        n1.AnnounceMany(60);
        var snapshot = n1.Assignments();

        // Meanwhile, n2's view: n1 is Down, its clients failed over, its alternate roles reassigned.
        var n2 = new ClusterState("n2", new ClusterOptions());
        foreach (var node in n1.Nodes)
        {
            n2.AddOrUpdateNode(new NodeInfo(node.NodeId, node.Url, node.Capacity, Order: node.Order));
        }

        n2.Apply(snapshot.Select(ToDelta).ToList());
        n2.SetState("n1", NodeState.Down);
        var peerChanges = n2.FailOverNode("n1");

        // Fig. 7 step 700: n1 becomes available again and merges its peers' state.
        var result = n1.Reconcile(peerChanges);

        Assert.Equal(snapshot.Count(a => a.Primary == "n1"), result.DroppedPrimaries.Count);
        Assert.Equal(snapshot.Count(a => a.Alternate == "n1"), result.DroppedAlternates.Count);
        Assert.Equal(0, n1.Primaries("n1"));
        Assert.Equal(0, n1.Alternates("n1"));
        Assert.Equal(n2.Assignments().OrderBy(a => a.ClientId), n1.Assignments().OrderBy(a => a.ClientId));
        n1.AssertCountsMatchTable();
    }

    [Fact]
    public void Fig7_step740_roles_nobody_else_took_are_kept()
    {
        var n1 = TestCluster.Create(100, 100);
        n1.AnnounceMany(10);
        var mine = n1.Primaries("n1");

        var result = n1.Reconcile(n1.Assignments().Select(ToDelta).ToList());

        Assert.Empty(result.DroppedPrimaries);
        Assert.Equal(0, result.Applied);
        Assert.Equal(mine, n1.Primaries("n1"));
    }

    [Fact]
    public void Fig7_an_older_peer_delta_does_not_take_a_role_back()
    {
        var state = TestCluster.Create(100, 100);
        var now = state.Announce("c1").Assignment!;
        var stale = new AssignmentDelta("c1", "n2", "n1", new AssignmentVersion(now.Version.Counter - 1, "zz"), 0, AssignmentChangeReason.Assigned);

        var result = state.Reconcile([stale]);

        Assert.Equal(0, result.Applied);
        Assert.Equal(now, state.GetAssignment("c1"));
    }

    internal static AssignmentDelta ToDelta(Assignment a) =>
        new(a.ClientId, a.Primary, a.Alternate, a.Version, a.Bounces, AssignmentChangeReason.Assigned, a.Registration);
}
