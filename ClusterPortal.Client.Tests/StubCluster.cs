using System.Net;
using System.Text;
using System.Text.Json;
using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests;

/// <summary>
/// A fake cluster behind an <see cref="HttpMessageHandler"/>: sessions, items with CRC-64 ETags and If-None-Match,
/// and nodes that can be made unreachable. Records every request so tests can look at what the client sent.
/// </summary>
internal sealed class StubCluster : HttpMessageHandler
{
    private readonly Dictionary<string, byte[]> _items = new(StringComparer.Ordinal);
    private readonly List<(Uri Uri, HttpMethod Method, Dictionary<string, string> Headers)> _requests = [];
    private int _tokens;

    public HashSet<string> Down { get; } = new(StringComparer.Ordinal);

    public string Primary { get; set; } = "http://n1";

    /// <summary>Whether the cluster knows the client (false: removed as idle; a logon makes it known again).</summary>
    public bool Known { get; set; } = true;

    public string? Alternate { get; set; } = "http://n2";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Answer for item requests instead of the default behaviour (null: default).</summary>
    public Func<HttpRequestMessage, HttpResponseMessage?>? Override { get; set; }

    /// <summary>Answer for session requests instead of the default behaviour (null: default).</summary>
    public Func<HttpRequestMessage, HttpResponseMessage?>? SessionOverride { get; set; }

    public void Put(string key, string content) => _items[key] = Encoding.UTF8.GetBytes(content);

    public IReadOnlyList<(Uri Uri, HttpMethod Method, Dictionary<string, string> Headers)> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static ClusterClient Client(StubCluster stub, Action<ClusterClientOptions>? configure = null)
    {
        var options = new ClusterClientOptions { ClientId = "device-1", RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero, TimeProvider = stub.Time };
        options.SharedAddress.Add(new Uri("http://n3"));
        options.SharedAddress.Add(new Uri("http://n1"));
        configure?.Invoke(options);
        return new ClusterClient(options, stub);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        lock (_requests)
        {
            _requests.Add((request.RequestUri!, request.Method, headers));
        }

        var node = request.RequestUri!.GetLeftPart(UriPartial.Authority);
        if (Down.Contains(node))
        {
            throw new HttpRequestException("Connection refused (stub)");
        }

        var path = request.RequestUri.AbsolutePath;
        if (path == "/api/sessions" && request.Method == HttpMethod.Post)
        {
            if (SessionOverride?.Invoke(request) is { } answer)
            {
                return Task.FromResult(answer);
            }

            Known = true;
            return Task.FromResult(Session());
        }

        if (!Known && path.StartsWith("/api/clients/", StringComparison.Ordinal))
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        }

        if (path == "/api/clients/device-1")
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }

        if (path.Contains("/items/", StringComparison.Ordinal))
        {
            return Task.FromResult(Override?.Invoke(request) ?? Item(request));
        }

        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent));
    }

    private HttpResponseMessage Session()
    {
        var n = Interlocked.Increment(ref _tokens);
        var body = JsonSerializer.Serialize(new
        {
            clientId = "device-1",
            primary = new { nodeId = NodeId(Primary), url = Primary },
            alternate = Alternate is null ? null : new { nodeId = NodeId(Alternate), url = Alternate },
            bounces = 0,
            token = $"token-{n}",
            tokenExpiresAt = Time.GetUtcNow() + TokenLifetime,
        });
        return new HttpResponseMessage(n == 1 ? HttpStatusCode.Created : HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    }

    private HttpResponseMessage Item(HttpRequestMessage request)
    {
        var key = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath.Split("/items/", 2)[1]);
        if (!_items.TryGetValue(key, out var bytes))
        {
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        }

        var etag = ItemValidator.ToETag(ItemValidator.Compute(bytes));
        var response = request.Headers.TryGetValues("If-None-Match", out var inm) && inm.Contains(etag)
            ? new HttpResponseMessage(HttpStatusCode.NotModified) { Content = new ByteArrayContent([]) }
            : new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) };
        response.Headers.TryAddWithoutValidation("ETag", etag);
        response.Headers.TryAddWithoutValidation("X-Served-By", NodeId(request.RequestUri.GetLeftPart(UriPartial.Authority)));
        return response;
    }

    private static string NodeId(string url) => new Uri(url).Host;
}
