using Bunit;
using ClusterEngine.Membership;
using ClusterPortal.Components.Pages;

namespace ClusterPortal.Tests.Components;

/// <summary>Overview: one card per node with its numbers, totals, live on each sample.</summary>
public sealed class OverviewPageTests
{
    [Fact]
    public async Task Shows_one_card_per_node_with_counts_totals_and_the_load_colour()
    {
        await using var ctx = new DashboardTestContext();
        ctx.Announce(30);
        ctx.Traffic["node-1"] = new NodeTraffic(Requests: 10, NotModified: 4, BytesSent: 2048, BytesSaved: 3 * 1024 * 1024);

        var cut = ctx.Render<Overview>();

        Assert.Equal(3, cut.FindAll("[data-node]").Count);
        var node1 = ctx.State.GetNode("node-1")!;
        Assert.Equal(node1.PrimaryCount.ToString(System.Globalization.CultureInfo.InvariantCulture), cut.Find("[data-node='node-1'] [data-field='primary']").TextContent);
        Assert.Equal("100", cut.Find("[data-node='node-1'] [data-field='capacity']").TextContent);
        Assert.Equal("30", cut.Find("#total-clients").TextContent);
        Assert.Equal("40.0 %", cut.Find("#total-304").TextContent);
        Assert.Equal("3.0 MiB", cut.Find("#total-saved").TextContent);
        Assert.Equal("Success", cut.Find("[data-node='node-1'] [data-field='load']").GetAttribute("data-color"));
    }

    [Fact]
    public async Task A_card_changes_without_reload_when_the_sampler_pushes_a_new_sample()
    {
        await using var ctx = new DashboardTestContext();
        var cut = ctx.Render<Overview>();
        Assert.Equal("Active", cut.Find("[data-node='node-2']").GetAttribute("data-mode"));

        ctx.State.SetMode("node-2", NodeMode.Maintenance);
        ctx.State.SetCapacity("node-3", 10);
        ctx.Announce(9, "late-");
        ctx.Sampler.SampleNow();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Maintenance", cut.Find("[data-node='node-2']").GetAttribute("data-mode"));
            Assert.Equal("10", cut.Find("[data-node='node-3'] [data-field='capacity']").TextContent);
        });
    }

    [Theory]
    [InlineData(0.5, "Success")]
    [InlineData(0.8, "Warning")]
    [InlineData(1.0, "Error")]
    public void The_load_bar_colour_follows_the_admission_threshold_and_capacity(double ratio, string colour)
    {
        Assert.Equal(colour, ClusterPortal.Components.Dashboard.NodeCard.LoadColor(ratio, 0.8).ToString());
    }
}
