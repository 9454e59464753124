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
