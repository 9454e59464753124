using System.Net;

namespace ClusterPortal.LoadHarness;

/// <summary>Scenario 1: item GET answered 304 via the client's validator, our node (A) vs bare Kestrel (B), alternating rounds.</summary>
internal static class NotModifiedThroughput
{
    private static readonly string[] s_notCopied = ["Date", "Server", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive"];

    public sealed record Result(IReadOnlyList<RoundResult> Node, IReadOnlyList<RoundResult> Bare, IReadOnlyList<RoundResult> NodeManyClients, RoundResult NodeFloor, RoundResult BareAfterFloor);

    public static async Task<Result> RunAsync(Fixture fixture, BareKestrel bare, HarnessSettings settings)
    {
        var etag = fixture.ETags[0];
        using var nodeClient = Clients.Create(fixture.Node.BaseAddress, settings.Workers);
        using var bareClient = Clients.Create(bare.BaseAddress, settings.Workers);
        Func<long, Task<bool>> toNode = _ => SendAsync(nodeClient, fixture, etag, 0);
        Func<long, Task<bool>> toBare = _ => SendAsync(bareClient, fixture, etag, 0);
        Func<long, Task<bool>> toNodeMany = sequence => SendAsync(nodeClient, fixture, etag, 1 + (int)(sequence % Fixture.ExtraClients));

        await LoadLoop.RunAsync(settings.Workers, settings.WarmUp, toNode);
        await LoadLoop.RunAsync(settings.Workers, settings.WarmUp, toBare);
        await LoadLoop.RunAsync(settings.Workers, settings.WarmUp, toNodeMany);
        await LoadLoop.RunAsync(settings.Workers, settings.WarmUp, toNode);
        var node = new List<RoundResult>();
        var bareRounds = new List<RoundResult>();
        var many = new List<RoundResult>();
        for (var round = 0; round < settings.Rounds; round++)
        {
            node.Add(await LoadLoop.RunAsync(settings.Workers, settings.Duration, toNode));
            Console.Error.WriteLine($"  304 round {round + 1}: node {node[^1].PerSecond,10:N0} req/s ({node[^1].Failed} failed)");
            bareRounds.Add(await LoadLoop.RunAsync(settings.Workers, settings.Duration, toBare));
            Console.Error.WriteLine($"  304 round {round + 1}: bare {bareRounds[^1].PerSecond,10:N0} req/s ({bareRounds[^1].Failed} failed)");
            many.Add(await LoadLoop.RunAsync(settings.Workers, settings.Duration, toNodeMany));
            Console.Error.WriteLine($"  304 round {round + 1}: node, {Fixture.ExtraClients} clients {many[^1].PerSecond,10:N0} req/s ({many[^1].Failed} failed)");
        }

        // Diagnostic, one round: the node's pipeline without auth, origin or mirror (GET /health/live, 200, empty health report).
        Func<long, Task<bool>> live = async _ =>
        {
            using var response = await nodeClient.GetAsync(new Uri("/health/live", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK;
        };
        await LoadLoop.RunAsync(settings.Workers, settings.WarmUp / 2, live);
        var floor = await LoadLoop.RunAsync(settings.Workers, settings.Duration, live);
        Console.Error.WriteLine($"  node GET /health/live: {floor.PerSecond,10:N0} req/s ({floor.Failed} failed)");
        var bareAfter = await LoadLoop.RunAsync(settings.Workers, settings.Duration, toBare);
        Console.Error.WriteLine($"  bare 304 (pair of the above): {bareAfter.PerSecond,10:N0} req/s ({bareAfter.Failed} failed)");
        return new Result(node, bareRounds, many, floor, bareAfter);
    }

    private static async Task<bool> SendAsync(HttpClient client, Fixture fixture, string etag, int clientIndex)
    {
        using var request = fixture.ItemRequest(0, etag, clientIndex);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotModified;
    }

    /// <summary>The header fields of the node's 304 for the item (those Kestrel adds by itself left out).</summary>
    public static async Task<IReadOnlyList<KeyValuePair<string, string>>> NodeAnswerHeadersAsync(Fixture fixture, string etag)
    {
        using var client = Clients.Create(fixture.Node.BaseAddress, 1);
        using var request = fixture.ItemRequest(0, etag);
        using var response = await client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.NotModified)
        {
            throw new InvalidOperationException($"The node answered {(int)response.StatusCode} to a request with the current ETag, not 304.");
        }

        return response.Headers.Concat(response.Content.Headers)
            .Where(h => !s_notCopied.Contains(h.Key, StringComparer.OrdinalIgnoreCase))
            .Select(h => KeyValuePair.Create(h.Key, string.Join(", ", h.Value)))
            .ToList();
    }
}
