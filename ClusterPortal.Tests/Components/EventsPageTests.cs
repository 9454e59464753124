using Bunit;
using ClusterEngine.Events;
using ClusterPortal.Components.Pages;

namespace ClusterPortal.Tests.Components;

/// <summary>Events page: recent events, live pushes, pause.</summary>
public sealed class EventsPageTests
{
    [Fact]
    public async Task Shows_recent_events_and_a_pushed_event_appears_live()
    {
        await using var ctx = new DashboardTestContext();
        ctx.Feed.Publish(ClusterEventKind.NodeJoined, "node-2", detail: "node-2 is Up");
        var cut = ctx.Render<Events>();
        Assert.Single(cut.FindAll("tr[data-seq]"));

        ctx.Feed.Publish(ClusterEventKind.Synced, "node-1", "dev-1", "3 entries to node-2");
        ctx.Feed.Publish(ClusterEventKind.NodeAdded, "node-4", detail: "node-4 at http://127.0.0.1:5104");

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("tr[data-seq]");
            Assert.Equal(3, rows.Count);
            Assert.Equal("NodeAdded", rows[0].GetAttribute("data-kind")); // newest first
            Assert.Equal("Synced", rows[1].GetAttribute("data-kind"));
        });
    }

    [Fact]
    public async Task Paused_stream_holds_new_events_until_resumed()
    {
        await using var ctx = new DashboardTestContext();
        var cut = ctx.Render<Events>();
        Assert.NotNull(cut.Find("[data-live='true'] input").GetAttribute("checked")); // the switch is on while live (issue 17)
        cut.FindComponent<MudBlazor.MudSwitch<bool>>().Find("input").Change(false);

        ctx.Feed.Publish(ClusterEventKind.NodeDown, "node-3");

        cut.WaitForAssertion(() => Assert.Contains("Paused (1 new)", cut.Markup));
        Assert.Empty(cut.FindAll("tr[data-seq]"));
        Assert.Single(cut.FindAll("[data-live='false']"));
        cut.FindComponent<MudBlazor.MudSwitch<bool>>().Find("input").Change(true);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("tr[data-seq]")));
    }
}
