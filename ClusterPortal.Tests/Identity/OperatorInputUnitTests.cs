using ClusterEngine;
using ClusterEngine.Changes;
using ClusterEngine.Membership;
using ClusterPortal.Api;
using ClusterPortal.Cli;
using ClusterPortal.Dashboard;
using Microsoft.Extensions.Configuration;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ClusterPortal.Tests.Identity;

/// <summary>Issue 11, case 1, the pure parts: 64-bit totals, saturating traffic sums, a sampler that outlives a failing sample, configuration values from any source checked.</summary>
public sealed class OperatorInputUnitTests
{
    [Fact]
    public void Cluster_totals_are_64_bit_sums()
    {
        var state = new ClusterState("n1", new ClusterOptions());
        state.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:1", int.MaxValue));
        state.AddOrUpdateNode(new NodeInfo("n2", "http://127.0.0.1:2", int.MaxValue));

        var self = new ClusterEngine.Membership.LocalNodeStatus(new ClusterEngine.ClusterNode(state, new ClusterEngine.Changes.ClusterChanges()),
            Microsoft.Extensions.Options.Options.Create(new ClusterOptions()), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ClusterEngine.Membership.LocalNodeStatus>.Instance);
        var totals = ClusterApi.GetCluster(state, self).Value!.Totals;

        Assert.Equal(2L * int.MaxValue, totals.Capacity);
    }

    /// <summary>
    /// The answer to an applied node change shows the applied record even when this node's view has not caught up (the
    /// authority may be another node): a PATCH answered with the mode from before it, and a node added again as Left.
    /// </summary>
    [Fact]
    public void An_applied_node_change_is_answered_with_the_applied_record_over_a_view_that_lags()
    {
        var state = new ClusterState("n1", new ClusterOptions());
        state.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:1", 100));
        state.AddOrUpdateNode(new NodeInfo("n2", "http://127.0.0.1:2", 100, "n2", 1, NodeState.Up, NodeMode.Active));
        state.AddOrUpdateNode(new NodeInfo("n3", "http://127.0.0.1:3", 100, "n3", 2, NodeState.Left));

        var patched = NodesApi.AsApplied(new MemberRecord("n2", "http://127.0.0.1:2", "n2", 50, 1, NodeMode.Maintenance, false, 7, "n1"), state);
        var readded = NodesApi.AsApplied(new MemberRecord("n3", "http://127.0.0.1:3", "n3", 100, 2, NodeMode.Active, false, 8, "n1"), state);
        var fresh = NodesApi.AsApplied(new MemberRecord("n4", "http://127.0.0.1:4", "n4", 10, 3, NodeMode.Active, false, 9, "n1"), state);
        var removed = NodesApi.AsApplied(new MemberRecord("n2", "http://127.0.0.1:2", "n2", 50, 1, NodeMode.Active, true, 10, "n1"), state);

        Assert.Equal((NodeState.Up, NodeMode.Maintenance, 50), (patched.State, patched.Mode, patched.Capacity));
        Assert.Equal(NodeState.Joining, readded.State);
        Assert.Equal((NodeState.Joining, 10), (fresh.State, fresh.Capacity));
        Assert.Equal(NodeState.Left, removed.State);
    }

    [Fact]
    public void Traffic_totals_saturate_instead_of_overflowing_and_ignore_negative_counters()
    {
        NodeSample Node(long requests) => new(new NodeStatus("n", "u", "n", 1, 0, 0, 0, 1, NodeMode.Active, NodeState.Up, 0, 0, 0), new NodeTraffic(requests, 0, 0, 0), 0);

        Assert.Equal(long.MaxValue, DashboardSampler.SaturatedSum([Node(long.MaxValue), Node(long.MaxValue)], n => n.Traffic.Requests));
        Assert.Equal(5, DashboardSampler.SaturatedSum([Node(5), Node(-7)], n => n.Traffic.Requests));
    }

    [Fact]
    public async Task A_failing_sample_is_logged_and_the_sampler_keeps_sampling()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var state = new ClusterState("n1", new ClusterOptions());
        state.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:1", 10));
        var calls = 0;
        using var sampler = new DashboardSampler(state, _ => ++calls == 1 ? throw new InvalidOperationException("first sample fails") : NodeTraffic.Zero,
            time, new ClusterChanges());
        await sampler.StartAsync(CancellationToken.None);

        // ExecuteAsync starts on the thread pool (.NET 10): each poll moves the clock a tick until three samples ran.
        await Eventually.True(() =>
        {
            time.Advance(DashboardSampler.Interval);
            return Volatile.Read(ref calls) >= 3;
        }, "three samples, the first of which threw");

        Assert.True(calls >= 3);
        Assert.NotNull(sampler.ExecuteTask);
        Assert.False(sampler.ExecuteTask!.IsCompleted);
        await sampler.StopAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("Mirror:SyncPolicy", "Bogus")]
    [InlineData("Mirror:SyncPolicy", "7")]
    [InlineData("Persistence:Provider", "Postgres")]
    [InlineData("Portal:AnonymousView", "Sometimes")]
    [InlineData("Cluster:Capacity", "lots")]
    [InlineData("Cluster:Seeds:0", "")]
    public void A_configuration_value_the_binder_cannot_use_is_named_whatever_its_source(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        var problems = ConfigurationKeys.Default.ValueProblems(configuration);

        if (value.Length == 0)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problems, p => p.StartsWith(key, StringComparison.Ordinal) && p.Contains(value, StringComparison.Ordinal));
        }
    }
}
