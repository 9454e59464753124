using FsCheck.Xunit;
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
    public void A_page_of_100000_clients_by_last_seen_descending_is_the_head_of_the_full_sort()
    {
        // How fast this is belongs to bench/ClusterEngine.Benchmarks (ClientQueryBenchmarks), not to a timed test.
        var state = TestCluster.Create(100_000, 100_000, 100_000);
        state.AnnounceMany(100_000);
        var expected = state.QueryClients(new ClientQuery(0, 100_000, Sort: ClientSort.LastSeen, Descending: true)).Rows
            .Select(r => r.Assignment.ClientId).Skip(950).Take(50).ToList();

        var page = state.QueryClients(new ClientQuery(950, 50, Sort: ClientSort.LastSeen, Descending: true));

        Assert.Equal(100_000, page.Total);
        Assert.Equal(expected, page.Rows.Select(r => r.Assignment.ClientId));
        Assert.True(page.Rows.Zip(page.Rows.Skip(1)).All(p => p.First.LastSeen >= p.Second.LastSeen), "descending by last seen");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4_046)] // the last page the bounded heap answers (skip + take = ClientPage.HeapLimit)
    [InlineData(4_047)] // the first one answered by selection
    [InlineData(6_000)]
    [InlineData(9_950)] // the last full page
    [InlineData(9_990)] // a short last page
    [InlineData(10_000)] // past the end: empty
    public void Deep_pages_are_the_same_slice_of_the_full_sort_as_the_first_pages(int skip)
    {
        var state = TestCluster.Create(100_000, 100_000, 100_000);
        state.AnnounceMany(10_000);
        var byId = state.Assignments().Select(a => a.ClientId).Order(StringComparer.Ordinal).ToList();
        var byPrimaryDescending = state.Assignments().OrderByDescending(a => a.Primary, StringComparer.Ordinal)
            .ThenByDescending(a => a.ClientId, StringComparer.Ordinal).Select(a => a.ClientId).ToList();

        var page = state.QueryClients(new ClientQuery(skip, 50));
        var descending = state.QueryClients(new ClientQuery(skip, 50, Sort: ClientSort.Primary, Descending: true));

        Assert.Equal((10_000, 10_000), (page.Total, descending.Total));
        Assert.Equal(byId.Skip(skip).Take(50), page.Rows.Select(r => r.Assignment.ClientId));
        Assert.Equal(byPrimaryDescending.Skip(skip).Take(50), descending.Rows.Select(r => r.Assignment.ClientId));
    }

    [Property(MaxTest = 300)]
    public void SortRange_puts_exactly_the_rows_of_a_full_sort_into_the_range(int[] values, byte fromCode, byte lengthCode)
    {
        var distinct = values.Distinct().ToArray(); // the page's comparison is a total order (ties broken by client id)
        var from = distinct.Length == 0 ? 0 : fromCode % (distinct.Length + 1);
        var to = Math.Min(distinct.Length, from + (lengthCode % 40));
        var expected = distinct.Order().ToArray();
        var actual = distinct.ToArray();

        ClientPage.SortRange(actual.AsSpan(), from, to, (a, b) => a.CompareTo(b));

        Assert.Equal(expected[from..to], actual[from..to]);
        Assert.Equal(expected.Order(), actual.Order()); // a permutation: nothing lost or doubled
    }
}
