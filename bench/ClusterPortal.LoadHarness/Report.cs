using System.Globalization;

namespace ClusterPortal.LoadHarness;

/// <summary>The table on stdout: medians, ratios, targets from issue #3.</summary>
internal static class Report
{
    public static void Print(TextWriter o, HarnessSettings settings, NotModifiedThroughput.Result notModified,
        IReadOnlyList<RoundResult> sessions, WireBytes.Result wire, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var c = CultureInfo.InvariantCulture;
        var node = LoadLoop.Median(notModified.Node.Select(r => r.PerSecond));
        var bare = LoadLoop.Median(notModified.Bare.Select(r => r.PerSecond));
        var sessionRate = LoadLoop.Median(sessions.Select(r => r.PerSecond));
        var (cond, uncond, hits, bareHits) = (wire.Conditional, wire.Unconditional, wire.Hits, wire.BareHits);
        double bytesRatio = (double)cond.Received / uncond.Received;
        double perHit = (double)(hits.Sent + hits.Received) / WireBytes.ValidatedHits;
        double failed = notModified.Node.Concat(notModified.Bare).Concat(sessions).Sum(r => r.Failed);

        o.WriteLine();
        o.WriteLine(string.Create(c, $"ClusterPortal load harness — {Environment.ProcessorCount} cores, .NET {Environment.Version}, HTTP/1.1 loopback, " +
            $"{settings.Workers} workers, median of {settings.Rounds} x {settings.Duration.TotalSeconds:0.#} s rounds (load generator in the same process); load average at the end: {LoadAverage()}"));
        o.WriteLine();
        o.WriteLine("| measure                                         | rounds                         | median      | ratio / figure | target      |");
        o.WriteLine("|-------------------------------------------------|--------------------------------|-------------|----------------|-------------|");
        Row(o, "304 via validator, our node (req/s)", Rounds(notModified.Node), node.ToString("N0", c), (node / bare).ToString("0.00", c) + "x bare", ">= 0.60x");
        Row(o, "304, bare Kestrel same headers (req/s)", Rounds(notModified.Bare), bare.ToString("N0", c), "1.00x", "");
        var pairs = notModified.Node.Zip(notModified.Bare, (n, b) => n.PerSecond / b.PerSecond).ToArray();
        Row(o, "304 node/bare, per alternating pair", string.Join(" / ", pairs.Select(r => r.ToString("0.00", c))), LoadLoop.Median(pairs).ToString("0.00", c) + "x",
            LoadLoop.Median(pairs).ToString("0.00", c) + "x", ">= 0.60x");
        var many = LoadLoop.Median(notModified.NodeManyClients.Select(r => r.PerSecond));
        Row(o, $"304, node, {Fixture.ExtraClients} clients round-robin (req/s)", Rounds(notModified.NodeManyClients), many.ToString("N0", c), (many / bare).ToString("0.00", c) + "x bare", "");
        Row(o, "diag: node GET /health/live (req/s)", $"1 round; bare 304 next: {notModified.BareAfterFloor.PerSecond.ToString("N0", c)}", notModified.NodeFloor.PerSecond.ToString("N0", c),
            (notModified.NodeFloor.PerSecond / notModified.BareAfterFloor.PerSecond).ToString("0.00", c) + "x bare", "");
        Row(o, "new sessions POST /api/sessions (/s)", Rounds(sessions), sessionRate.ToString("N0", c), sessionRate.ToString("N0", c) + "/s", ">= 20,000/s");
        Row(o, $"bytes to clients, {WireBytes.Requests:N0} conditional (80 % 304)", $"{cond.NotModified:N0} x 304, {cond.Ok:N0} x 200", cond.Received.ToString("N0", c),
            bytesRatio.ToString("0.000", c) + "x", "<= 0.25x");
        Row(o, $"bytes to clients, {WireBytes.Requests:N0} unconditional", $"{uncond.NotModified:N0} x 304, {uncond.Ok:N0} x 200", uncond.Received.ToString("N0", c), "1.000x", "");
        Row(o, "bytes per validated hit, node (req+resp)", $"{hits.Sent / (double)WireBytes.ValidatedHits:0} + {hits.Received / (double)WireBytes.ValidatedHits:0} B", perHit.ToString("0", c) + " B",
            perHit.ToString("0", c) + " B", "<= 350 B");
        Row(o, "bytes per validated hit, bare (req+resp)", $"{bareHits.Sent / (double)WireBytes.ValidatedHits:0} + {bareHits.Received / (double)WireBytes.ValidatedHits:0} B",
            ((bareHits.Sent + bareHits.Received) / (double)WireBytes.ValidatedHits).ToString("0", c) + " B", "", "");
        o.WriteLine();
        o.WriteLine(string.Create(c, $"Requests sent (all {WireBytes.Requests:N0}): conditional {cond.Sent:N0} B, unconditional {uncond.Sent:N0} B. " +
            $"Both directions: {(double)(cond.Sent + cond.Received) / (uncond.Sent + uncond.Received):0.000}x. Unexpected answers in timed rounds: {failed:N0}."));
        o.WriteLine("Header fields of the node's 304 besides Date and Server (the bare endpoint sends the same):");
        foreach (var (name, value) in headers)
        {
            o.WriteLine(string.Create(c, $"  {name}: {value}   ({name.Length + value.Length + 4} B)"));
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string Rounds(IEnumerable<RoundResult> rounds) =>
        string.Join(" / ", rounds.Select(r => r.PerSecond.ToString("N0", CultureInfo.InvariantCulture)));

    private static void Row(TextWriter o, string measure, string rounds, string median, string ratio, string target) =>
        o.WriteLine($"| {measure,-47} | {rounds,-30} | {median,11} | {ratio,14} | {target,-11} |");
}
