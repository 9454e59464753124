using BenchmarkDotNet.Running;
using ClusterEngine.Benchmarks;

if (args is ["memory", ..])
{
    MemoryMeasurement.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(PlacementBenchmarks).Assembly).Run(args);
