using System.Runtime.CompilerServices;

namespace ClusterEngine.Benchmarks;

/// <summary>Retained managed bytes per assignment (id string included) with 1 M clients on 5 nodes; median of 3 runs.</summary>
internal static class MemoryMeasurement
{
    private static ClusterState? s_held;

    public static void Run(int clients = 1_000_000)
    {
        var samples = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            s_held = null;
            var before = Settle();
            Load(clients);
            var after = Settle();
            samples.Add((after - before) / (double)clients);
        }

        samples.Sort();
        Console.WriteLine($"clients={clients:N0} nodes={ClusterFixture.Nodes} bytes/assignment median={samples[1]:F1} (runs: {string.Join(", ", samples.Select(s => s.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))})");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Load(int clients) => s_held = ClusterFixture.Create(clients);

    private static long Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
