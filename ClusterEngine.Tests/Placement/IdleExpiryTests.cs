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
    public void A_node_failure_does_not_count_as_its_clients_being_seen()
    {
        // Issue 10 item 11: failing a node's clients over went through the request path, which recorded every one of
        // them as seen, so each node failure postponed the idle expiry of all its clients by a whole timeout.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var state = new ClusterState("n2", new ClusterOptions(), time: clock);
        for (var i = 1; i <= 3; i++)
        {
            state.AddOrUpdateNode(new NodeInfo($"n{i}", $"http://n{i}", 10, Order: i));
        }

        state.Apply([Delta("promoted", "n1", "n2"), Delta("placed-anew", "n1", "n3")]);

        clock.Advance(TimeSpan.FromDays(6));
        state.SetState("n1", NodeState.Down);
        state.SetState("n3", NodeState.Down);
        var failedOver = state.FailOverNode("n1", "n2");
        clock.Advance(TimeSpan.FromDays(2));
        var removed = state.ExpireIdle(TimeSpan.FromDays(7), "n2");

        Assert.All(failedOver, d => Assert.Equal("n2", d.Primary));
        Assert.Equal(2, failedOver.Count);
        Assert.Equal(["placed-anew", "promoted"], removed.Select(r => r.ClientId).Order(StringComparer.Ordinal));
    }

    private static ClusterEngine.Placement.AssignmentDelta Delta(string clientId, string primary, string alternate) =>
        new(clientId, primary, alternate, new ClusterEngine.Placement.AssignmentVersion(1, primary), 0, ClusterEngine.Placement.AssignmentChangeReason.Assigned);
}
