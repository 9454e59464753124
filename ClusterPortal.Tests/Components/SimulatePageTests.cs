using Bunit;
using ClusterPortal.Components.Pages;
using ClusterPortal.Tests.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterPortal.Tests.Components;

/// <summary>Simulate load page: admin-only start/stop, field validation, live progress from the runner, the summary.</summary>
public sealed class SimulatePageTests
{
    private static (DashboardTestContext Ctx, ScriptedSimulation Run) Context(bool admin)
    {
        var run = new ScriptedSimulation();
        var ctx = new DashboardTestContext(admin, services => services.AddSingleton(run.Runner));
        return (ctx, run);
    }

    [Fact]
    public async Task Out_of_range_fields_show_messages_and_start_nothing()
    {
        var (ctx, run) = Context(admin: true);
        await using var _ = ctx;
        var cut = ctx.Render<Simulate>();

        cut.Find("#sim-clients").Input("5001");
        cut.Find("#sim-duration").Input("4");
        cut.Find("#sim-start").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Clients must be 1–5000.", cut.Markup);
            Assert.Contains("Duration must be 5–3600 seconds.", cut.Markup);
        });
        Assert.False(run.Runner.IsRunning);
        Assert.Null(run.Options);

        cut.Find("#sim-clients").Input("0");
        cut.Find("#sim-duration").Input("3601");
        cut.Find("#sim-start").Click();
        cut.WaitForAssertion(() => Assert.Contains("Duration must be 5–3600 seconds.", cut.Markup));
        Assert.Contains("Clients must be 1–5000.", cut.Markup);
        Assert.Null(run.Options);
    }

    [Fact]
    public async Task A_viewer_sees_a_running_simulation_but_cannot_start_or_stop_it()
    {
        var (ctx, run) = Context(admin: false);
        await using var _ = ctx;
        var cut = ctx.Render<Simulate>();

        Assert.NotNull(cut.Find("#sim-read-only"));
        Assert.Empty(cut.FindAll("#sim-start"));
        Assert.Empty(cut.FindAll("#sim-stop"));
        Assert.Contains("No simulation has run", cut.Find("#sim-status").TextContent, StringComparison.Ordinal);

        Assert.Null(run.Runner.Start(new ClusterPortal.Simulation.SimulationOptions { Clients = 20, Duration = TimeSpan.FromSeconds(30) }));
        await run.Started;
        run.Progress!.Report(ScriptedSimulation.Snapshot(3, 42, 21));

        cut.WaitForAssertion(() => Assert.Equal("42", cut.Find("#sim-requests").TextContent));
        Assert.Equal("true", cut.Find("#sim-status").GetAttribute("data-running"));
        Assert.Empty(cut.FindAll("#sim-start"));
        run.Runner.Stop();
    }

    [Fact]
    public async Task Admin_starts_a_run_watches_it_live_and_sees_the_summary()
    {
        var (ctx, run) = Context(admin: true);
        await using var _ = ctx;
        var cut = ctx.Render<Simulate>();

        cut.Find("#sim-clients").Input("20");
        cut.Find("#sim-duration").Input("30");
        cut.Find("input#sim-mirror").Change(true);
        cut.Find("#sim-start").Click();

        await run.Started;
        Assert.Equal((20, TimeSpan.FromSeconds(30), true), (run.Options!.Clients, run.Options.Duration, run.Options.UseCacheMirror));
        Assert.Equal([new Uri(ScriptedSimulation.NodeUrl)], run.Options.Target);
        Assert.Equal(ScriptedSimulation.AdminKey, run.Options.AdminKey);
        cut.WaitForAssertion(() => Assert.True(cut.Find("#sim-start").HasAttribute("disabled")));
        Assert.False(cut.Find("#sim-stop").HasAttribute("disabled"));

        run.Progress!.Report(ScriptedSimulation.Snapshot(3, 120, 60));
        cut.WaitForAssertion(() => Assert.Equal("120", cut.Find("#sim-requests").TextContent));
        Assert.Equal("40.0", cut.Find("#sim-rps").TextContent);
        Assert.Equal("50.0 %", cut.Find("#sim-304").TextContent);
        run.Progress.Report(ScriptedSimulation.Snapshot(6, 480, 360));
        cut.WaitForAssertion(() => Assert.Equal("480", cut.Find("#sim-requests").TextContent));
        Assert.Equal("75.0 %", cut.Find("#sim-304").TextContent);
        Assert.Empty(cut.FindAll("#sim-summary"));

        var summary = ScriptedSimulation.Snapshot(30, 2400, 1800, finished: true);
        run.End(summary);
        cut.WaitForAssertion(() => Assert.Equal(summary.Summary().Trim(), cut.Find("#sim-summary").TextContent.Trim()));
        Assert.False(cut.Find("#sim-start").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Admin_stops_a_running_simulation()
    {
        var (ctx, run) = Context(admin: true);
        await using var _ = ctx;
        var cut = ctx.Render<Simulate>();
        cut.Find("#sim-start").Click(); // defaults: 50 clients, 60 s
        await run.Started;
        cut.WaitForAssertion(() => Assert.False(cut.Find("#sim-stop").HasAttribute("disabled")));

        cut.Find("#sim-stop").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("#sim-summary")));
        Assert.True(run.Cancelled);
        Assert.Equal(50, run.Options!.Clients);
    }
}
