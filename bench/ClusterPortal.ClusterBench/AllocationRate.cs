using System.Diagnostics;
using System.Globalization;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// Bytes a .NET process allocates per second while load runs: <c>dotnet-counters collect</c> (the repository's local tool,
/// <c>.config/dotnet-tools.json</c>) reads the process's <c>System.Runtime</c> counters once a second into a CSV file; the
/// median of the <c>dotnet.gc.heap.total_allocated</c> rates is the answer. The process's own background work (timers,
/// heartbeats) is counted too.
/// </summary>
internal sealed class AllocationRate : IAsyncDisposable
{
    private const string Counter = "dotnet.gc.heap.total_allocated";
    private readonly Process _tool;
    private readonly string _csv;

    private AllocationRate(Process tool, string csv)
    {
        _tool = tool;
        _csv = csv;
    }

    /// <summary>Starts reading the counters of <paramref name="pid"/> for <paramref name="duration"/> (whole seconds).</summary>
    /// <param name="pid">The .NET process.</param>
    /// <param name="duration">How long to read; the load should run for all of it.</param>
    /// <param name="scratch">A directory for the CSV file.</param>
    public static AllocationRate Start(int pid, TimeSpan duration, string scratch)
    {
        var csv = Path.Combine(scratch, $"alloc-{pid}-{Environment.TickCount64}.csv");
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Cluster.RepositoryRoot(),
        };
        foreach (var a in new[] { "dotnet-counters", "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--counters", "System.Runtime",
                     "--format", "csv", "-o", csv, "--duration", TimeSpan.FromSeconds(Math.Ceiling(duration.TotalSeconds)).ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        var tool = Process.Start(start) ?? throw new InvalidOperationException("dotnet-counters did not start (run `dotnet tool restore`).");
        tool.OutputDataReceived += (_, _) => { };
        tool.ErrorDataReceived += (_, _) => { };
        tool.BeginOutputReadLine();
        tool.BeginErrorReadLine();
        return new AllocationRate(tool, csv);
    }

    /// <summary>Waits for the reading to end and returns the median allocation rate, bytes per second.</summary>
    /// <exception cref="InvalidOperationException">The tool wrote no allocation rate (not restored, or the process ended).</exception>
    public async Task<double> MedianBytesPerSecondAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _tool.WaitForExitAsync(timeout.Token);
        var rates = File.Exists(_csv)
            ? File.ReadLines(_csv).Where(l => l.Contains(Counter, StringComparison.Ordinal))
                .Select(l => double.Parse(l[(l.LastIndexOf(',') + 1)..], CultureInfo.InvariantCulture)).Where(r => r > 0).ToList()
            : [];
        return rates.Count > 0
            ? Report.Median(rates)
            : throw new InvalidOperationException($"dotnet-counters wrote no {Counter} rate to {_csv} (exit code {_tool.ExitCode}; run `dotnet tool restore`).");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_tool.HasExited)
        {
            _tool.Kill();
            await _tool.WaitForExitAsync();
        }

        _tool.Dispose();
    }
}
