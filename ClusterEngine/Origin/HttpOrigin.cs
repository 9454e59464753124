using System.Net;
using System.Net.Http.Headers;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Origin;

/// <summary>
/// Items from an existing web API (docs/architecture.md §11): the key <c>a/b.json</c> is <c>GET {BaseUrl}a/b.json</c>, each
/// segment percent-encoded. Revalidates a held version with a conditional request (<c>If-None-Match</c> with the
/// upstream ETag, else <c>If-Modified-Since</c>); a 304 returns the held instance. 404 and 410 mean "no such item".
/// Resilience (retries, timeouts, circuit breaking) belongs on the injected <see cref="HttpClient"/>'s handler chain.
/// </summary>
public sealed class HttpOrigin : IItemOrigin
{
    private readonly HttpClient _client;
    private readonly Uri _baseUrl;
    private readonly long _maxItemBytes;
    private readonly TimeProvider _time;

    /// <summary>Creates the origin.</summary>
    /// <param name="client">The client that sends the requests (not disposed here).</param>
    /// <param name="options">Origin options: <see cref="OriginOptions.BaseUrl"/> and <see cref="OriginOptions.MaxItemBytes"/>.</param>
    /// <param name="time">Clock for items the origin sends without <c>Last-Modified</c>.</param>
    /// <exception cref="ArgumentException"><see cref="OriginOptions.BaseUrl"/> is not an absolute URL.</exception>
    public HttpOrigin(HttpClient client, IOptions<OriginOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var baseUrl = options.Value.BaseUrl is { IsAbsoluteUri: true } url
            ? url
            : throw new ArgumentException("Origin:BaseUrl must be an absolute URL.", nameof(options));
        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _client = client;
        _maxItemBytes = options.Value.MaxItemBytes;
        _time = time;
    }

    /// <summary>Never raised: an HTTP origin is revalidated by the cache instead.</summary>
    public event EventHandler<OriginChangedEventArgs>? Changed
    {
        add { }
        remove { }
    }

    /// <inheritdoc/>
    public async ValueTask<OriginItem?> GetAsync(ItemKey key, OriginItem? cached, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUrl, string.Join('/', key.Segments.Select(Uri.EscapeDataString))));
        if (cached?.OriginETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var tag))
        {
            request.Headers.IfNoneMatch.Add(tag);
        }
        else if (cached is not null)
        {
            request.Headers.IfModifiedSince = cached.LastModified;
        }

        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotModified when cached is not null:
                return cached;
            case HttpStatusCode.NotFound or HttpStatusCode.Gone:
                return null;
        }

        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > _maxItemBytes)
        {
            throw new InvalidDataException($"Item '{key}' has {response.Content.Headers.ContentLength} bytes; Origin:MaxItemBytes is {_maxItemBytes}.");
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (bytes.Length > _maxItemBytes)
        {
            throw new InvalidDataException($"Item '{key}' has {bytes.Length} bytes; Origin:MaxItemBytes is {_maxItemBytes}.");
        }

        var contentType = response.Content.Headers.ContentType?.ToString() ?? ContentTypes.For(key);
        var lastModified = response.Content.Headers.LastModified ?? _time.GetUtcNow();
        return new OriginItem(key, bytes, contentType, lastModified, response.Headers.ETag?.ToString());
    }

    /// <summary>An HTTP origin cannot list its items.</summary>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>An empty list.</returns>
    public ValueTask<IReadOnlyList<ItemKey>> ListAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ItemKey>>([]);
}
