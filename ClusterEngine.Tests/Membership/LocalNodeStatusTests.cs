using ClusterEngine.Changes;
using ClusterEngine.Membership;
using ClusterEngine.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// A node serves as primary only while its health monitor ran within <see cref="ClusterOptions.SelfSilenceBudget"/>
/// (docs/recovery.md "Freezes"): a peer counts its silence from this node's last heartbeat, which may be one heartbeat
/// interval older than the last tick, so a freeze shorter than <c>Cluster:FailureTimeout</c> can already have let the
/// peers promote the alternates.
/// </summary>
public sealed class LocalNodeStatusTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void The_self_silence_budget_is_the_failure_timeout_less_one_heartbeat_and_two_ticks()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(700), new ClusterOptions().SelfSilenceBudget);
        Assert.Equal(TimeSpan.FromMilliseconds(4_500),
            new ClusterOptions { FailureTimeout = TimeSpan.FromSeconds(5), HeartbeatInterval = TimeSpan.FromMilliseconds(400), TickInterval = TimeSpan.FromMilliseconds(50) }.SelfSilenceBudget);
    }

    [Theory]
    [InlineData(699, true)]
    [InlineData(701, false)]
    [InlineData(950, false)] // the fault suite's SIGSTOP: shorter than the failure timeout, longer than the budget
    public void An_Up_node_serves_only_while_its_last_tick_is_within_the_budget(int silentMs, bool serves)
    {
        var self = Create();
        self.Set(NodeState.Up);
        self.Ticked(_time.GetTimestamp());

        _time.Advance(TimeSpan.FromMilliseconds(silentMs));

        Assert.Equal(serves, self.CanServe);
        self.Ticked(_time.GetTimestamp());
        Assert.True(self.CanServe);
    }

    [Fact]
    public void The_only_member_serves_whatever_its_ticks_and_stops_at_the_budget_once_it_has_a_peer()
    {
        // Nobody could have replaced a lone member's view while it was late (docs/recovery.md "Freezes"); a single node on a
        // loaded test host answered 503 "catching up" once when its timer loop ran 0.7 s late.
        var self = Create();
        self.Set(NodeState.Up);
        self.Ticked(_time.GetTimestamp());
        self.SetAlone(true);
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(self.CanServe);
        self.SetAlone(false);
        Assert.False(self.CanServe);
    }

    [Fact]
    public void A_node_that_hands_over_still_serves_what_peers_forward_whatever_its_ticks()
    {
        var self = Create();
        self.Set(NodeState.Leaving);
        self.Ticked(_time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(self.CanServe);
    }

    private LocalNodeStatus Create()
    {
        var state = TestCluster.Create(100, 100);
        var node = new ClusterNode(state, new ClusterChanges());
        return new LocalNodeStatus(node, Options.Create(new ClusterOptions()), _time, NullLogger<LocalNodeStatus>.Instance);
    }
}
