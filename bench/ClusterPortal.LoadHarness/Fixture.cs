using System.Net;
using System.Net.Http.Json;

namespace ClusterPortal.LoadHarness;

/// <summary>
/// Everything the scenarios share: temp directories, an origin root of 4 KiB items, one started node, one
/// announced client with its token, and the current ETag of every item.
/// </summary>
internal sealed class Fixture : IAsyncDisposable
{
    public const int ItemCount = 100;
    public const int ItemBytes = 4096;
    public const string ClientId = "bench-client";

    /// <summary>More clients (same id length as <see cref="ClientId"/>) for the many-clients 304 variant.</summary>
    public const int ExtraClients = 64;

    private readonly string _root;

    private Fixture(string root, PortalNode node, (string Id, string Token)[] clients, string[] etags)
    {
        _root = root;
        Node = node;
        ClientsAndTokens = clients;
        ETags = etags;
    }

    public PortalNode Node { get; }

    /// <summary>Client 0 is <see cref="ClientId"/>; then <see cref="ExtraClients"/> others.</summary>
    public IReadOnlyList<(string Id, string Token)> ClientsAndTokens { get; }

    /// <summary>Current ETag of item <c>i</c>, as the node sent it with a 200.</summary>
    public IReadOnlyList<string> ETags { get; }

    public static string ItemPath(int i, string clientId = ClientId) => $"/api/clients/{clientId}/items/bench/item-{i:D3}.bin";

    public static async Task<Fixture> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("cp-loadharness-").FullName;
        var origin = Directory.CreateDirectory(Path.Combine(root, "origin", "bench")).Parent!.FullName;
        var data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        var random = new Random(42);
        var bytes = new byte[ItemBytes];
        for (var i = 0; i < ItemCount; i++)
        {
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(origin, "bench", $"item-{i:D3}.bin"), bytes);
        }

        var node = await PortalNode.StartAsync(data, origin);
        using var http = Clients.Create(node.BaseAddress, 4);
        var clients = new (string Id, string Token)[1 + ExtraClients];
        for (var c = 0; c < clients.Length; c++)
        {
            var id = c == 0 ? ClientId : $"bench-cli-{c - 1:D2}";
            using var announce = await http.PostAsJsonAsync(new Uri("/api/sessions", UriKind.Relative), new { clientId = id });
            announce.EnsureSuccessStatusCode();
            var session = await announce.Content.ReadFromJsonAsync<SessionAnswer>() ?? throw new InvalidOperationException("No session body.");
            clients[c] = (id, session.Token);
        }

        var etags = new string[ItemCount];
        for (var i = 0; i < ItemCount; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, ItemPath(i));
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + clients[0].Token);
            using var response = await http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK || response.Headers.ETag is null)
            {
                throw new InvalidOperationException($"GET {ItemPath(i)} answered {(int)response.StatusCode} without an ETag.");
            }

            etags[i] = response.Headers.ETag.ToString();
        }

        return new Fixture(root, node, clients, etags);
    }

    /// <summary>A request for item <c>i</c> as a client sends it: bearer token, and its validator when it has one.</summary>
    public HttpRequestMessage ItemRequest(int i, string? ifNoneMatch, int client = 0)
    {
        var (id, token) = ClientsAndTokens[client];
        var request = new HttpRequestMessage(HttpMethod.Get, ItemPath(i, id));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return request;
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp directory is left behind then.
        }
    }

    private sealed record SessionAnswer(string Token);
}
