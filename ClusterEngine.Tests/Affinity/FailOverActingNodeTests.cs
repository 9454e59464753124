using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Tests.Affinity;

/// <summary>
/// docs/architecture.md §7: when a node is Down each alternate promotes its own clients; nodes acting each for
/// themselves and exchanging deltas end with the same table and exactly one primary per client.
/// </summary>
public sealed class FailOverActingNodeTests
{
    [Fact]
    public void Fig6_step670_each_survivor_acting_for_itself_converges_to_one_table_without_conflicts()
    {
        var ids = new[] { "n1", "n2", "n3", "n4" };
        var views = ids.Select(id =>
        {
            var s = new ClusterState(id, new ClusterOptions());
            for (var i = 0; i < ids.Length; i++)
            {
                s.AddOrUpdateNode(new NodeInfo(ids[i], $"http://{ids[i]}", 1000, Order: i));
            }

            return s;
        }).ToArray();
        var initial = new List<AssignmentDelta>();
        for (var c = 0; c < 400; c++)
        {
            initial.Add(views[c % 4].Announce($"c{c}").Change!);
            foreach (var v in views)
            {
                v.Apply([initial[^1]]);
            }
        }

        var survivors = views.Skip(1).ToArray();
        var changes = new List<AssignmentDelta>();
        foreach (var v in survivors)
        {
            v.SetState("n1", NodeState.Down);
            changes.AddRange(v.FailOverNode("n1", actingNodeId: v.LocalNodeId));
        }

        foreach (var v in survivors)
        {
            v.Apply(changes);
        }

        var reference = survivors[0].Assignments().OrderBy(a => a.ClientId).ToList();
        Assert.All(survivors, v => Assert.Equal(reference, v.Assignments().OrderBy(a => a.ClientId)));
        Assert.Equal(400, reference.Count);
        Assert.DoesNotContain(reference, a => a.Primary == "n1" || a.Alternate == "n1");
        Assert.Equal(changes.Count, changes.Select(c => c.ClientId).Distinct().Count()); // one decider per client
    }

    [Fact]
    public void Concurrent_announces_and_requests_keep_counts_equal_to_the_table()
    {
        var state = new ClusterState("n1", new ClusterOptions());
        for (var i = 0; i < 5; i++)
        {
            state.AddOrUpdateNode(new NodeInfo($"n{i + 1}", $"http://n{i + 1}", 100_000, Order: i));
        }

        Parallel.For(0, 8, worker =>
        {
            for (var c = 0; c < 5_000; c++)
            {
                var id = $"w{worker}-{c % 2_000}";
                state.Announce(id);
                state.Route(id);
                if (c == 2_500 && worker == 0)
                {
                    state.SetState("n2", NodeState.Down);
                    state.FailOverNode("n2");
                }
            }
        });

        Assert.Equal(16_000, state.ClientCount);
        var all = state.Assignments();
        foreach (var n in state.Nodes)
        {
            Assert.Equal(all.Count(a => a.Primary == n.NodeId), n.PrimaryCount);
            Assert.Equal(all.Count(a => a.Alternate == n.NodeId), n.AlternateCount);
        }

        Assert.All(all, a => Assert.NotEqual(a.Primary, a.Alternate));
    }
}
