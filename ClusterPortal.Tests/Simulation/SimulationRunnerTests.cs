using ClusterPortal.Simulation;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterPortal.Tests.Simulation;

/// <summary>The dashboard's simulation runner: one run per node, against the node itself, errors kept as messages.</summary>
public sealed class SimulationRunnerTests
{
    [Fact]
    public async Task A_run_against_this_node_makes_requests_without_errors_and_a_second_start_is_refused_meanwhile()
    {
        using var node = new PortalFactory();
        var url = node.BaseUrl;
        var runner = node.Services.GetRequiredService<SimulationRunner>();
        var changes = 0;
        runner.Changed += () => Interlocked.Increment(ref changes);

        Assert.Null(runner.Start(new SimulationOptions { Clients = 10, Duration = TimeSpan.FromSeconds(3), Items = 20 }));
        Assert.True(runner.IsRunning);
        var refusal = runner.Start(new SimulationOptions { Clients = 1, Duration = TimeSpan.FromSeconds(5) });

        Assert.Contains("already running", refusal, StringComparison.Ordinal);
        await Eventually.True(() => !runner.IsRunning, "the 3 s run ends", 30_000, () => runner.Current?.StatusLine() ?? "no snapshot");
        Assert.Null(runner.LastError);
        var summary = Assert.IsType<SimulationSnapshot>(runner.LastSummary);
        Assert.True(summary.Finished);
        Assert.True(summary.Requests > 0, summary.Summary());
        Assert.Equal(0, summary.Errors);
        Assert.Same(summary, runner.Current);
        Assert.Equal([new Uri(url)], runner.Options!.Target);
        Assert.Equal(PortalFactory.AdminKey, runner.Options.AdminKey);
        Assert.True(changes > 2, $"Changed raised {changes} times");
    }

    [Fact]
    public async Task A_failing_run_ends_with_its_message_and_the_next_one_may_start()
    {
        var scripted = new ScriptedSimulation { Failure = new ClusterPortal.Client.ClusterClientException("Publishing sim items failed: 403.") };
        var runner = scripted.Runner;

        Assert.Null(runner.Start(new SimulationOptions { Clients = 5, Duration = TimeSpan.FromSeconds(10) }));
        await Eventually.True(() => !runner.IsRunning, "the failed run ends");

        Assert.Equal("Publishing sim items failed: 403.", runner.LastError);
        Assert.Null(runner.LastSummary);
        scripted.Failure = null;
        Assert.Null(runner.Start(new SimulationOptions { Clients = 5, Duration = TimeSpan.FromSeconds(10) }));
        Assert.Null(runner.LastError);
        runner.Stop(); // a stop that comes before the run has even begun still cancels it
        await Eventually.True(() => !runner.IsRunning, "the stopped run ends");
        Assert.True(scripted.Cancelled);
    }

    [Fact]
    public void Too_many_clients_are_refused_before_anything_runs()
    {
        var scripted = new ScriptedSimulation();

        var refusal = scripted.Runner.Start(new SimulationOptions { Clients = SimulationRunner.MaxClients + 1 });

        Assert.Contains("At most 5000 clients", refusal, StringComparison.Ordinal);
        Assert.False(scripted.Runner.IsRunning);
        Assert.Null(scripted.Options);
    }
}
