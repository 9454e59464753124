using ClusterEngine.Affinity;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Placement;

/// <summary>
/// The registration stamp of an assignment (docs/architecture.md §5): the version counter of the decision that placed the
/// client id anew, kept through every later change of the assignment and replaced by a higher one when the id has been
/// removed and is announced again — what client tokens are bound to.
/// </summary>
public sealed class RegistrationTests
{
    [Fact]
    public void A_placement_registers_under_its_own_counter_and_every_later_change_keeps_it()
    {
        var state = TestCluster.Create(10, 10, 10);
        var placed = state.Announce("c1").Change!;
        Assert.Equal(placed.Version.Counter, placed.Registration);
        Assert.Equal(placed.Registration, state.GetAssignment("c1")!.Registration);
        Assert.Equal(placed.Registration, state.RegistrationOf("c1"));

        var primary = placed.Primary!;
        state.SetState(primary, NodeState.Down);
        var failedOver = state.FailOverNode(primary).Single(d => d.ClientId == "c1");
        Assert.True(failedOver.Version.Counter > placed.Version.Counter);
        Assert.Equal(placed.Registration, failedOver.Registration);

        // Primary and alternate both gone: the client is placed anew, but it is the same registration of the id.
        state.SetState(primary, NodeState.Up);
        state.SetState(failedOver.Primary!, NodeState.Down);
        state.SetState(failedOver.Alternate!, NodeState.Down);
        var route = state.Route("c1");
        Assert.Equal(AffinityKind.Reassigned, route.Kind);
        Assert.Equal(placed.Registration, route.Change!.Registration);
        Assert.Equal(placed.Registration, state.RegistrationOf("c1"));
    }

    [Fact]
    public void An_id_removed_and_announced_again_gets_a_higher_registration_and_a_removed_id_has_none()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var state = new ClusterState("n1", new ClusterOptions(), time: clock);
        state.AddOrUpdateNode(new NodeInfo("n1", "http://n1", 10));
        var first = state.Announce("reused").Change!.Registration;

        clock.Advance(TimeSpan.FromDays(8));
        var removal = Assert.Single(state.ExpireIdle(TimeSpan.FromDays(7)));
        Assert.Equal(first, removal.Registration); // the tombstone says which registration it ended
        Assert.Equal(0, state.RegistrationOf("reused"));

        var second = state.Announce("reused").Change!.Registration;
        Assert.True(second > removal.Version.Counter, $"{second} after the removal's {removal.Version.Counter}");
        Assert.True(second > first);
        Assert.Equal(second, state.RegistrationOf("reused"));
        Assert.Equal(0, state.RegistrationOf("never-announced"));
    }

    [Fact]
    public void A_peers_view_learns_the_registration_from_the_delta_and_old_deltas_without_one_stay_unknown()
    {
        var deciding = TestCluster.Create(10, 10);
        var peer = new ClusterState("n2", new ClusterOptions());
        peer.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:5101", 10, Order: 0));
        peer.AddOrUpdateNode(new NodeInfo("n2", "http://127.0.0.1:5102", 10, Order: 1));

        var placed = deciding.Announce("c1").Change!;
        peer.Apply([placed]);
        Assert.Equal(placed.Registration, peer.RegistrationOf("c1"));
        Assert.Equal(placed.Registration, peer.GetAssignment("c1")!.Registration);

        // A delta from a build without the stamp (0): accepted, its registration unknown, and kept so by later changes.
        peer.Apply([new AssignmentDelta("old", "n1", "n2", new AssignmentVersion(5, "n1"), 0, AssignmentChangeReason.Assigned)]);
        Assert.Equal(0, peer.RegistrationOf("old"));
        peer.SetState("n1", NodeState.Down);
        var failedOver = peer.FailOverNode("n1").Single(d => d.ClientId == "old");
        Assert.Equal(0, failedOver.Registration);
        Assert.Equal(0, peer.RegistrationOf("old"));
    }
}
