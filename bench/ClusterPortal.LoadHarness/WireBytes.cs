using System.Net;

namespace ClusterPortal.LoadHarness;

/// <summary>
/// Scenario 3: bytes on the client's sockets for the same 10,000 item requests, conditional (80 % of items
/// unchanged: the client holds the current ETag; 20 % changed: it holds an old one) vs unconditional; and bytes
/// per validated hit (request + response of one 304 on a kept-alive HTTP/1.1 connection).
/// </summary>
internal static class WireBytes
{
    public const int Requests = 10_000;
    public const int ValidatedHits = 1_000;
    private const int Workers = 16;

    public sealed record Pass(long Sent, long Received, int NotModified, int Ok);

    public sealed record Result(Pass Conditional, Pass Unconditional, Pass Hits, Pass BareHits);

    public static async Task<Result> RunAsync(Fixture fixture, Uri bare)
    {
        // Items i % 5 == 0 (20 of the 100) changed since the client fetched them: it holds an old ETag.
        var conditional = await RunPassAsync(fixture, fixture.Node.BaseAddress, Requests, Workers, Fixture.ItemCount,
            item => item % 5 == 0 ? OldETag(fixture.ETags[item]) : fixture.ETags[item]);
        var unconditional = await RunPassAsync(fixture, fixture.Node.BaseAddress, Requests, Workers, Fixture.ItemCount, _ => null);
        var hits = await RunPassAsync(fixture, fixture.Node.BaseAddress, ValidatedHits, 1, 1, item => fixture.ETags[item]);
        var bareHits = await RunPassAsync(fixture, bare, ValidatedHits, 1, 1, item => fixture.ETags[item]);
        return new Result(conditional, unconditional, hits, bareHits);
    }

    /// <summary>A validator the client held before the item changed: same form, other value.</summary>
    private static string OldETag(string current) => string.Concat(current.AsSpan(0, current.Length - 2), current[^2] == '0' ? "1\"" : "0\"");

    private static async Task<Pass> RunPassAsync(Fixture fixture, Uri target, int requests, int workers, int items, Func<int, string?> validator)
    {
        var counter = new WireCounter();
        using var client = Clients.Create(target, workers, counter);
        int next = -1, notModified = 0, ok = 0;
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                using var request = fixture.ItemRequest(i % items, validator(i % items));
                using var response = await client.SendAsync(request).ConfigureAwait(false);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.NotModified: Interlocked.Increment(ref notModified); break;
                    case HttpStatusCode.OK: Interlocked.Increment(ref ok); break;
                    default: throw new InvalidOperationException($"Unexpected {(int)response.StatusCode} for {request.RequestUri}.");
                }
            }
        }));
        await Task.WhenAll(tasks);
        return new Pass(counter.Sent, counter.Received, notModified, ok);
    }
}
