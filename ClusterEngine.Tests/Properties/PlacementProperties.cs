using ClusterEngine.Membership;
using ClusterEngine.Placement;
using FsCheck;
using FsCheck.Xunit;

namespace ClusterEngine.Tests.Properties;

/// <summary>Property tests over random sequences of joins, failures, recoveries, capacity and mode changes, announcements and requests.</summary>
public sealed class PlacementProperties
{
    [Property(MaxTest = 300)]
    public void Invariants_hold_over_random_operation_sequences(int[] operations, bool twoBounces)
    {
        var model = new ClusterModel(twoBounces ? 2 : 1);
        foreach (var code in operations)
        {
            try
            {
                model.Step(code);
            }
            catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"{ex.Message}\nafter: {model.Log}");
            }
        }
    }

    [Property(MaxTest = 100)]
    public void Alternates_of_one_primary_spread_in_proportion_to_capacity_while_membership_is_stable(PositiveInt[] capacitySeeds, PositiveInt clientSeed)
    {
        var capacities = capacitySeeds.Take(6).Select(c => 10 + (c.Get % 10 * 10)).ToArray();
        if (capacities.Length < 3)
        {
            return;
        }

        var state = new ClusterState("n0", new ClusterOptions());
        for (var i = 0; i < capacities.Length; i++)
        {
            state.AddOrUpdateNode(new NodeInfo($"n{i}", $"http://n{i}", capacities[i], Order: i));
        }

        var clients = Math.Min(capacities.Sum(), 50 + (clientSeed.Get % 500));
        for (var c = 0; c < clients; c++)
        {
            state.Announce($"c{c}");
        }

        foreach (var primary in state.Nodes)
        {
            var mine = state.Assignments(a => a.Primary == primary.NodeId);
            var others = state.Nodes.Where(n => n.NodeId != primary.NodeId).ToList();
            var otherCapacity = others.Sum(n => n.Capacity);
            foreach (var other in others)
            {
                var expected = (double)mine.Count * other.Capacity / otherCapacity;
                var actual = mine.Count(a => a.Alternate == other.NodeId);
                Assert.InRange(actual, expected - 2, expected + 2);
            }
        }
    }

    [Property(MaxTest = 200)]
    public void Replicas_that_receive_the_same_deltas_in_any_order_hold_the_same_table(int[] seeds, int shuffleSeed)
    {
        var deltas = seeds.Select(s => new AssignmentDelta(
            $"c{Math.Abs(s % 7)}",
            Math.Abs(s % 11) == 0 ? null : $"n{Math.Abs(s % 3)}",
            $"n{Math.Abs((s / 3) % 3) + 3}",
            new AssignmentVersion(Math.Abs(s / 7 % 5), $"n{Math.Abs(s / 35 % 3)}"),
            0,
            AssignmentChangeReason.Assigned)).ToList();
        var shuffled = deltas.Concat(deltas.Take(deltas.Count / 2)).OrderBy(_ => new Random(shuffleSeed).Next()).ToList();
        var rng = new Random(shuffleSeed);
        shuffled = [.. shuffled.OrderBy(_ => rng.Next())];

        var a = new ClusterState("a", new ClusterOptions());
        var b = new ClusterState("b", new ClusterOptions());
        a.Apply(deltas);
        b.Apply(shuffled);

        Assert.Equal(a.Assignments().OrderBy(x => x.ClientId), b.Assignments().OrderBy(x => x.ClientId));
        Assert.Equal(a.ClientCount, b.ClientCount);
    }
}
