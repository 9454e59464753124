using BenchmarkDotNet.Attributes;

namespace ClusterEngine.Benchmarks;

/// <summary>
/// Placement decisions with 1 M clients on 5 nodes (issue 2 benchmark; target ≥ 1 M decisions/s on
/// one thread). <c>Placement_decision</c> is the decision alone (round robin, admission, bounce
/// check, alternate choice); <c>Announce</c> is the whole new-client path (round robin, admission, bounce check,
/// alternate choice, versioned apply); <c>Route</c> is the per-request Fig. 6 decision.
/// </summary>
[MemoryDiagnoser]
public class PlacementBenchmarks
{
    private const int Batch = 200_000;
    private ClusterState _state = null!;
    private string[] _existing = null!;
    private string[] _fresh = null!;

    [GlobalSetup]
    public void Setup()
    {
        _existing = ClusterFixture.DeviceIds(0, Batch);
        _fresh = ClusterFixture.DeviceIds(10_000_000, Batch);
    }

    [IterationSetup]
    public void Load() => _state = ClusterFixture.Create(1_000_000, reserve: Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    [InvocationCount(1)]
    public int Placement_decision()
    {
        var offered = new List<int>(4);
        var sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += _state.DecidePlacement(offered);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    [InvocationCount(1)]
    public int Announce_new_client()
    {
        var placed = 0;
        foreach (var id in _fresh)
        {
            placed += (int)_state.Announce(id).Outcome;
        }

        return placed;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    [InvocationCount(1)]
    public int Route_existing_client()
    {
        var kinds = 0;
        foreach (var id in _existing)
        {
            kinds += (int)_state.Route(id).Kind;
        }

        return kinds;
    }
}
