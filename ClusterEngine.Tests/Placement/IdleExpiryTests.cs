using ClusterEngine.Membership;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Placement;

/// <summary>DESIGN.md §5: a client not seen for Cluster:ClientIdleTimeout is removed and frees its slot.</summary>
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
}
