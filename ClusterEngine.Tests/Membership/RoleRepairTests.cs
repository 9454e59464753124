using ClusterEngine.Changes;
using ClusterEngine.Membership;
using ClusterEngine.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// Level-triggered failover (docs/recovery.md, "Down for good"; patent Fig. 6, steps 670–680): a Down verdict that came
/// while this node could not decide is applied once it can; a member never heard from since the start keeps its
/// clients for <c>Cluster:RestartGrace</c> after this node is first Up, then they are failed over too.
/// </summary>
public sealed class RoleRepairTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ClusterOptions _options = new() { RestartGrace = TimeSpan.FromSeconds(10) };

    [Fact]
    public void A_Down_verdict_from_while_this_node_was_joining_is_applied_once_it_is_Up()
    {
        var (state, self, detector, repair) = Create();
        detector.Heard("n2", 1, 1, NodeState.Up);
        _time.Advance(TimeSpan.FromSeconds(2)); // silent past the failure timeout since
        state.SetState("n2", NodeState.Down);

        repair.Run();
        Assert.Contains(state.Assignments(), a => a.Primary == "n2" && a.Alternate == "n1");

        self.Set(NodeState.Up);
        repair.Run();

        Assert.DoesNotContain(state.Assignments(), a => a.Primary == "n2" && a.Alternate == "n1"); // n1 promoted itself
        Assert.DoesNotContain(state.Assignments(), a => a.Primary == "n1" && a.Alternate == "n2"); // and chose new alternates
        state.AssertCountsMatchTable();
    }

    [Fact]
    public void A_Down_member_with_fresh_evidence_of_life_keeps_its_clients_until_the_next_verdict()
    {
        var (state, self, detector, repair) = Create();
        detector.Heard("n2", 1, 1, NodeState.Up);
        _time.Advance(TimeSpan.FromSeconds(2));
        state.SetState("n2", NodeState.Down); // the verdict of the last tick
        self.Set(NodeState.Up);
        detector.ConnectionRestored("n2"); // evidence after it: the next tick makes n2 Joining again

        repair.Run();

        Assert.Contains(state.Assignments(), a => a.Primary == "n2" && a.Alternate == "n1");
    }

    [Fact]
    public void A_member_not_heard_from_since_the_start_keeps_its_clients_for_the_restart_grace()
    {
        var (state, self, _, repair) = Create();
        state.SetState("n3", NodeState.Down);
        self.Set(NodeState.Up);

        repair.Run();
        _time.Advance(TimeSpan.FromSeconds(9));
        repair.Run();
        Assert.Contains(state.Assignments(), a => a.Primary == "n3" && a.Alternate == "n1");

        _time.Advance(TimeSpan.FromSeconds(2));
        repair.Run();
        Assert.DoesNotContain(state.Assignments(), a => a.Primary == "n3" && a.Alternate == "n1");
    }

    private (ClusterState, LocalNodeStatus, FailureDetector, RoleRepair) Create()
    {
        var state = TestCluster.Create(100, 100, 100);
        state.AnnounceMany(90);
        var node = new ClusterNode(state, new ClusterChanges());
        var self = new LocalNodeStatus(node, Options.Create(_options), _time, NullLogger<LocalNodeStatus>.Instance);
        var detector = new FailureDetector(_time, _options.FailureTimeout);
        detector.Watch("n2");
        detector.Watch("n3");
        var grace = new RestartGrace(state, detector, Options.Create(_options), _time);
        return (state, self, detector, new RoleRepair(node, self, detector, grace, Options.Create(_options), _time, NullLogger<RoleRepair>.Instance));
    }
}
