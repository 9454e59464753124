using ClusterEngine.Placement;
using ClusterEngine.Tests.Support;

namespace ClusterEngine.Tests.Placement;

/// <summary>The paged client query of the dashboard and <c>GET /api/clients</c>: filter, sort, page, count.</summary>
public sealed class ClientQueryTests
{
    [Fact]
    public void Pages_follow_the_sort_order_and_together_hold_every_match_once()
    {
        var state = TestCluster.Create(1000, 1000, 1000);
        state.AnnounceMany(250);
        var expected = state.Assignments().Select(a => a.ClientId).Order(StringComparer.Ordinal).ToList();

        var pages = Enumerable.Range(0, 6).Select(p => state.QueryClients(new ClientQuery(p * 50, 50))).ToList();

        Assert.All(pages, p => Assert.Equal(250, p.Total));
        Assert.Equal(expected, pages.SelectMany(p => p.Rows).Select(r => r.Assignment.ClientId));
        Assert.Empty(pages[5].Rows);
    }

    [Fact]
    public void Filters_by_node_role_and_search_and_sorts_descending_by_column()
    {
        var state = TestCluster.Create(1000, 1000, 1000);
        state.AnnounceMany(90);
        var all = state.Assignments();

        var primaries = state.QueryClients(new ClientQuery(0, 500, NodeId: "n2", Role: ClientRole.Primary));
        var alternates = state.QueryClients(new ClientQuery(0, 500, NodeId: "n2", Role: ClientRole.Alternate));
        var any = state.QueryClients(new ClientQuery(0, 500, NodeId: "n2"));
        var search = state.QueryClients(new ClientQuery(0, 500, Search: "C00001"));
        var byPrimaryDesc = state.QueryClients(new ClientQuery(0, 500, Sort: ClientSort.Primary, Descending: true));

        Assert.Equal(all.Count(a => a.Primary == "n2"), primaries.Total);
        Assert.All(alternates.Rows, r => Assert.Equal("n2", r.Assignment.Alternate));
        Assert.Equal(all.Count(a => a.Primary == "n2" || a.Alternate == "n2"), any.Total);
        Assert.Equal(10, search.Total); // c000010 .. c000019
        Assert.Equal(all.Select(a => a.Primary).OrderDescending(StringComparer.Ordinal), byPrimaryDesc.Rows.Select(r => r.Assignment.Primary));
        Assert.Equal(0, state.QueryClients(new ClientQuery(0, 10, NodeId: "unknown")).Total);
    }

    [Fact]
    public void A_first_page_of_100000_clients_is_answered_quickly()
    {
        var state = TestCluster.Create(100_000, 100_000, 100_000);
        state.AnnounceMany(100_000);
        state.QueryClients(new ClientQuery(0, 50)); // warm-up

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var page = state.QueryClients(new ClientQuery(0, 50, Sort: ClientSort.LastSeen, Descending: true));
        watch.Stop();

        Assert.Equal(100_000, page.Total);
        Assert.Equal(50, page.Rows.Count);
        Assert.True(watch.ElapsedMilliseconds < 1000, $"took {watch.ElapsedMilliseconds} ms");
    }
}
