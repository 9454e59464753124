using System.Globalization;

namespace ClusterPortal.LoadHarness;

/// <summary>
/// Knobs of a run, from optional arguments: <c>--workers=64 --seconds=5 --warmup=2 --rounds=3</c>.
/// </summary>
internal sealed record HarnessSettings(int Workers, TimeSpan Duration, TimeSpan WarmUp, int Rounds)
{
    public static HarnessSettings From(string[] args)
    {
        var values = args.Select(a => a.TrimStart('-').Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
        double Get(string name, double fallback) => values.TryGetValue(name, out var v) ? v : fallback;
        return new HarnessSettings(
            (int)Get("workers", 64),
            TimeSpan.FromSeconds(Get("seconds", 5)),
            TimeSpan.FromSeconds(Get("warmup", 2)),
            (int)Get("rounds", 3));
    }
}
