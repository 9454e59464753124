using ClusterEngine.Affinity;
using ClusterEngine.Membership;
using ClusterEngine.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// The restart grace on the request path (docs/recovery.md, "Down for good"): a request for a client whose primary is
/// Down but may be restarting with this node (not heard from since this node started, within <c>Cluster:RestartGrace</c>)
/// leaves the client where it is. Before, requests to the first node up after a full restart moved every client there.
/// </summary>
public sealed class RestartGraceTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ClusterOptions _options = new() { RestartGrace = TimeSpan.FromSeconds(10) };

    [Fact]
    public void A_request_for_a_client_of_a_member_not_heard_since_the_start_waits_for_it_through_the_grace()
    {
        var (state, _, grace) = Create();
        var client = state.Assignments(a => a.Primary == "n3")[0];
        state.SetState("n3", NodeState.Down); // its port refused: not started yet
        grace.Begin(_time.GetTimestamp());

        var during = state.Route(client.ClientId, grace.Holds);
        _time.Advance(TimeSpan.FromSeconds(11));
        var after = state.Route(client.ClientId, grace.Holds);

        Assert.Equal(AffinityKind.PrimaryRestarting, during.Kind);
        Assert.Null(during.ServingNodeId);
        Assert.Null(during.Change);
        Assert.Equal(AffinityKind.FailedOver, after.Kind);
        Assert.Equal(client.Alternate, after.ServingNodeId);
    }

    [Fact]
    public void A_member_seen_alive_since_the_start_gets_no_grace()
    {
        var (state, detector, grace) = Create();
        var client = state.Assignments(a => a.Primary == "n2")[0];
        detector.Heard("n2", 1, 1, NodeState.Up);
        state.SetState("n2", NodeState.Down); // then lost (kill -9)
        grace.Begin(_time.GetTimestamp());

        var decision = state.Route(client.ClientId, grace.Holds);

        Assert.Equal(AffinityKind.FailedOver, decision.Kind);
    }

    [Fact]
    public void Left_and_maintenance_primaries_get_no_grace_and_a_route_without_the_question_fails_over()
    {
        var (state, _, grace) = Create();
        var ofN2 = state.Assignments(a => a.Primary == "n2")[0];
        var ofN3 = state.Assignments(a => a.Primary == "n3")[0];
        state.SetState("n2", NodeState.Left);
        state.SetState("n3", NodeState.Down);
        grace.Begin(_time.GetTimestamp());

        Assert.Equal(AffinityKind.FailedOver, state.Route(ofN2.ClientId, grace.Holds).Kind);
        Assert.True(grace.Holds("n3"));
        Assert.Equal(AffinityKind.FailedOver, state.Route(ofN3.ClientId).Kind);
    }

    private (ClusterState, FailureDetector, RestartGrace) Create()
    {
        var state = TestCluster.Create(100, 100, 100);
        state.AnnounceMany(90);
        var detector = new FailureDetector(_time, _options.FailureTimeout);
        detector.Watch("n2");
        detector.Watch("n3");
        return (state, detector, new RestartGrace(state, detector, Options.Create(_options), _time));
    }
}
