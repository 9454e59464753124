using BenchmarkDotNet.Attributes;
using ClusterEngine.Placement;

namespace ClusterEngine.Benchmarks;

/// <summary>
/// The dashboard's Clients page and <c>GET /api/clients</c> (issue 6: "must stay fast with 100,000
/// clients"): one page of 50 out of 100,000 clients, by id and by last-seen descending, and a filtered
/// search. Run with <c>-- --filter '*ClientQuery*'</c>.
/// </summary>
[MemoryDiagnoser]
public class ClientQueryBenchmarks
{
    private ClusterState _state = null!;

    [GlobalSetup]
    public void Setup()
    {
        _state = ClusterFixture.Create(100_000, reserve: 0);
    }

    [Benchmark(Baseline = true)]
    public int First_page_by_id() => _state.QueryClients(new ClientQuery(0, 50)).Rows.Count;

    [Benchmark]
    public int Page_10_by_last_seen_descending() => _state.QueryClients(new ClientQuery(500, 50, Sort: ClientSort.LastSeen, Descending: true)).Rows.Count;

    [Benchmark]
    public int Last_page_by_id() => _state.QueryClients(new ClientQuery(99_950, 50)).Rows.Count;

    [Benchmark]
    public int Search_and_node_filter() => _state.QueryClients(new ClientQuery(0, 50, Search: "00001", NodeId: "node-2")).Rows.Count;
}
