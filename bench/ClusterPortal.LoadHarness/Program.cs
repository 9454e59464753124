// ClusterPortal load harness (issue #3, "Benchmark"): prints ratios, not a timed test.
// Run from the repository root, in Release:
//
//     dotnet run -c Release --project bench/ClusterPortal.LoadHarness
//
// Optional: -- --workers=64 --seconds=5 --warmup=2 --rounds=3
// Starts one node, a bare Kestrel baseline and the load generator in this one process, on loopback.
using ClusterPortal.LoadHarness;

var settings = HarnessSettings.From(args);
if (args.Contains("--deltas"))
{
    // Only scenario 4 (issue 14): dotnet run -c Release --project bench/ClusterPortal.LoadHarness -- --deltas
    Console.Error.WriteLine("Starting a node (HTTP/1.1 and an HTTP/2 port) on loopback; deltas scenario only...");
    await using var deltaFixture = await Fixture.StartAsync();
    DeltaBytes.Print(Console.Out, await DeltaBytes.RunAsync(deltaFixture));
    return;
}

Console.Error.WriteLine($"Starting a node and a bare Kestrel endpoint on loopback ({Environment.ProcessorCount} cores, {settings.Workers} workers, {settings.Rounds}x{settings.Duration.TotalSeconds:0.#} s after {settings.WarmUp.TotalSeconds:0.#} s warm-up)...");
await using var fixture = await Fixture.StartAsync();
var headers = await NotModifiedThroughput.NodeAnswerHeadersAsync(fixture, fixture.ETags[0]);
await using var bare = await BareKestrel.StartAsync(fixture.ETags[0], headers);

Console.Error.WriteLine("1/3 304 throughput, node vs bare Kestrel (alternating rounds)");
var notModified = await NotModifiedThroughput.RunAsync(fixture, bare, settings);
Console.Error.WriteLine("2/3 bytes on the wire");
var wire = await WireBytes.RunAsync(fixture, bare.BaseAddress);
Console.Error.WriteLine("3/3 new sessions per second");
var sessions = await SessionThroughput.RunAsync(fixture, settings);

Console.Error.WriteLine("4/4 deltas (RFC 9842) on HTTP/1.1 and HTTP/2");
var deltas = await DeltaBytes.RunAsync(fixture);

Report.Print(Console.Out, settings, notModified, sessions, wire, headers);
DeltaBytes.Print(Console.Out, deltas);
