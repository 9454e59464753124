using ClusterEngine.Membership;

namespace ClusterEngine.Tests.Membership;

/// <summary>docs/architecture.md §7 partitions: stopped peers do not count; a strict majority serves; an even split keeps the side with the first node.</summary>
public sealed class QuorumTests
{
    private static readonly string[] s_five = ["n1", "n2", "n3", "n4", "n5"];

    [Theory]
    [InlineData("n1,n2,n3", "", true)]        // majority of 5
    [InlineData("n4,n5", "", false)]          // minority of 5 (peers silent, not known stopped)
    [InlineData("n5", "n1,n2,n3,n4", true)]   // lone survivor: the others are known stopped
    [InlineData("n3,n4,n5", "n1,n2", true)]   // 3 of 3 counting
    public void Majority_of_the_last_membership_serves(string reachable, string stopped, bool expected)
    {
        var up = reachable.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var gone = stopped.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();

        var result = Quorum.HasQuorum(s_five, up.Contains, gone.Contains);

        Assert.Equal(expected, result);
    }

    [Fact]
    public void Even_split_keeps_the_side_holding_the_first_node_in_membership_order()
    {
        string[] four = ["n1", "n2", "n3", "n4"];

        Assert.True(Quorum.HasQuorum(four, id => id is "n1" or "n2", _ => false));
        Assert.False(Quorum.HasQuorum(four, id => id is "n3" or "n4", _ => false));
    }

    [Fact]
    public void A_known_stopped_first_node_does_not_decide_the_split()
    {
        // n1 stopped (refused): 4 counting (n2..n5); n2+n3 hold the first counting node.
        Assert.True(Quorum.HasQuorum(s_five, id => id is "n2" or "n3", id => id == "n1"));
        Assert.False(Quorum.HasQuorum(s_five, id => id is "n4" or "n5", id => id == "n1"));
    }

    [Fact]
    public void Two_nodes_one_silent_but_not_stopped_keeps_the_first_node_only()
    {
        string[] two = ["n1", "n2"];

        Assert.True(Quorum.HasQuorum(two, id => id == "n1", _ => false));
        Assert.False(Quorum.HasQuorum(two, id => id == "n2", _ => false));
        Assert.True(Quorum.HasQuorum(two, id => id == "n2", id => id == "n1"));
    }
}
