using Bunit;
using ClusterPortal.Components.Pages;

namespace ClusterPortal.Tests.Components;

/// <summary>Clients page: server-side paging, search, filter, detail with mirror entries.</summary>
public sealed class ClientsPageTests
{
    [Fact]
    public async Task Shows_the_first_page_of_many_clients_and_the_total()
    {
        await using var ctx = new DashboardTestContext();
        ctx.Announce(120);

        var cut = ctx.Render<Clients>();

        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("[data-client]").Count));
        Assert.Equal("dev-00000", cut.FindAll("[data-client]")[0].TextContent);
        Assert.Contains("of 120", cut.Markup);
    }

    [Fact]
    public async Task Search_narrows_the_table_and_a_row_opens_the_detail_with_mirror_entries()
    {
        await using var ctx = new DashboardTestContext();
        ctx.Announce(120);
        ctx.Mirror.Record("dev-00042", "news/world/headlines.json", 0x81b69dda2f09a3e5, 1234, null);
        var cut = ctx.Render<Clients>();

        cut.Find("#client-search").Input("00042");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-client]")), TimeSpan.FromSeconds(5));
        cut.Find("[data-client]").Click();
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("news/world/headlines.json", cut.Find("#mirror-entries").TextContent);
            Assert.Contains("81b69dda2f09a3e5", cut.Find("#mirror-entries").TextContent);
            // The hybrid clock's wall time, readable (docs/recovery.md, "Versions").
            Assert.Matches(@"Decided by node-\d+ at 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \(version \d+@node-\d+\)", cut.Find("#client-decided").TextContent);
        });
    }
}
