using System.Net;
using ClusterPortal.Client.Contract;
using Polly;

namespace ClusterPortal.Client;

/// <summary>
/// A client of the cluster (patent Fig. 6, 8–10): logs on at the shared address, fetches items
/// from its primary with a local cache and CRC-64 validators (304 when unchanged), and rides through failovers on
/// its own — primary, then alternate, then the shared address, with jittered retries. Thread-safe: one instance
/// per device, shared by all its threads.
/// </summary>
/// <example>
/// <code>
/// var options = new ClusterClientOptions { ClientId = "device-0001" };
/// options.SharedAddress.Add(new Uri("http://127.0.0.1:5101"));
/// await using var client = new ClusterClient(options);
/// await client.LogOnAsync();
/// var item = await client.GetItemAsync("weather/city-1.json");   // 200, cached
/// item = await client.GetItemAsync("weather/city-1.json");       // 304, item.FromCache
/// </code>
/// </example>
public sealed partial class ClusterClient : IAsyncDisposable, IDisposable
{
    private readonly ClusterClientOptions _options;
    private readonly IReadOnlyList<Uri> _sharedAddress;
    private readonly SharedAddressResolver? _resolver;
    private IReadOnlyList<Uri> _resolvedAddress;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly LocalItemCache _cache;
    private readonly ClientCounters _counters = new();
    private readonly SemaphoreSlim _sessionGate = new(1, 1);
    private ClientSession? _session;
    private string? _retryKey; // the announce retry key while the client has no token (guarded by the session gate)
    private volatile bool _loggedOn;
    private volatile bool _disposed;
    private DateTimeOffset _lastRefresh = DateTimeOffset.MinValue;

    /// <summary>Creates a client; nothing is sent until <see cref="LogOnAsync"/>.</summary>
    /// <param name="options">The settings (copied; later changes have no effect).</param>
    /// <param name="handler">The HTTP handler to send through (tests, proxies), or null for a new <see cref="SocketsHttpHandler"/>.
    /// The client never disposes a given handler.</param>
    /// <exception cref="ArgumentException">A setting is invalid (see <see cref="ClusterClientOptions.Validate"/>).</exception>
    public ClusterClient(ClusterClientOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (ClientIds.Problem(options.ClientId) is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _options = options;
        _sharedAddress = [.. options.SharedAddress];
        _resolvedAddress = _sharedAddress;
        _resolver = options.AddressResolver ?? (handler is null ? new SharedAddressResolver(time: options.TimeProvider) : null);
        _ownsHttp = handler is null;
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = options.AttemptTimeout,
        }, disposeHandler: handler is null) { Timeout = Timeout.InfiniteTimeSpan };
        _pipeline = BuildPipeline(options, _counters);
        _cache = new LocalItemCache(options.MemoryCacheEntries, options.CacheDirectory);
        _session = null;
    }

    /// <summary>The client id.</summary>
    public string ClientId => _options.ClientId;

    /// <summary>The current session (primary, alternate, token), or null before the first logon.</summary>
    public ClientSession? Session => Volatile.Read(ref _session);

    /// <summary>Counters since the client was created.</summary>
    public ClusterClientStatistics Statistics => _counters.Snapshot();

    /// <summary>
    /// Gets an item (<c>GET /api/clients/{clientId}/items/{key}</c>). A cached copy is revalidated: with its CRC-64
    /// validator (<c>If-None-Match</c>), or — with <see cref="ClusterClientOptions.UseCacheMirror"/> and a copy the
    /// mirror is known to record — by the node's mirror. A 304 returns the cached copy. Renews the token first when
    /// it is near expiry, and once more after a 401.
    /// </summary>
    /// <param name="key">The item key: <c>/</c>-separated segments, e.g. <c>weather/city-1.json</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The item, or null when the origin has no such item (404). When the cluster no longer knows the client
    /// (removed after <c>Cluster:ClientIdleTimeout</c>), the client logs on again with its token and asks once more.</returns>
    /// <exception cref="ArgumentException">The key breaks the item key rules (<see cref="ItemKey"/>).</exception>
    /// <exception cref="InvalidOperationException">The client has not logged on.</exception>
    /// <exception cref="ClusterClientException">No node answered within the retries, or the cluster refused.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ClusterItem?> GetItemAsync(string key, CancellationToken cancellationToken = default)
    {
        if (!ItemKey.TryParse(key, out var itemKey))
        {
            throw new ArgumentException($"The item key is not valid ({ItemKey.Validate(key)}).", nameof(key));
        }

        try
        {
            for (var again = false; ; again = true)
            {
                var session = await FreshSessionAsync(cancellationToken);
                var (item, status, problem) = await FetchAsync(session, itemKey, cancellationToken);
                if (status == HttpStatusCode.Unauthorized && !again)
                {
                    await RenewTokenAsync(cancellationToken);
                    continue;
                }

                if (status == HttpStatusCode.NotFound && !again && !await IsKnownAsync(session, cancellationToken))
                {
                    // The cluster forgot this client (idle for Cluster:ClientIdleTimeout): announce it again, with its token.
                    await LogOnAsync(cancellationToken);
                    continue;
                }

                return status is HttpStatusCode.OK or HttpStatusCode.NotModified or HttpStatusCode.NotFound
                    ? item
                    : throw new ClusterClientException($"The cluster refused item '{key}': {(int)status}{(problem is null ? "" : " " + problem)}.", (int)status, problem);
            }
        }
        catch (Exception ex) when (ex is ClusterClientException or InvalidOperationException)
        {
            _counters.Error();
            throw;
        }
    }

    /// <summary>
    /// Empties the local cache (memory and directory) and reports it (<c>DELETE /api/clients/{clientId}/mirror</c>) so
    /// the node's mirror never vouches for a copy the client no longer holds. Even when the report fails, the mirror
    /// is safe: the client stops echoing its old sequence, so the mirror starts over.
    /// </summary>
    /// <param name="cancellationToken">Cancels the report (the local cache is cleared in any case).</param>
    /// <exception cref="InvalidOperationException">The client has not logged on.</exception>
    /// <exception cref="ClusterClientException">No node answered, or the cluster refused.</exception>
    public async Task ClearCacheAsync(CancellationToken cancellationToken = default)
    {
        var session = await FreshSessionAsync(cancellationToken);
        _cache.Clear();
        using var answer = await SendAsync(Targets(session), node => Authorized(HttpMethod.Delete,
            Endpoint(node, ClusterPaths.Mirror(ClientId)), session), cancellationToken);
        await EnsureStatusAsync(answer.Response, "clear the mirror", cancellationToken, HttpStatusCode.NoContent);
        _cache.Apply("", null, null, echoed: null, answered: SequenceOf(answer.Response));
    }

    private async Task<(ClusterItem? Item, HttpStatusCode Status, ApiProblem? Problem)> FetchAsync(ClientSession session, ItemKey itemKey,
        CancellationToken cancellationToken, bool plain = false)
    {
        var key = itemKey.Value;
        var (cached, echoed) = _cache.Find(key);
        var mirror = _options.UseCacheMirror;
        var byMirror = !plain && cached is not null && mirror && cached.MirrorTrusted && echoed is not null;
        var path = ClusterPaths.Item(ClientId, itemKey);
        using var answer = await SendAsync(Targets(session), node =>
        {
            var request = Authorized(HttpMethod.Get, Endpoint(node, path), session);
            if (byMirror)
            {
                request.Headers.TryAddWithoutValidation(ClusterHeaders.Prefer, ClusterHeaders.CacheMirrorPreference);
            }
            else if (cached is not null && !plain)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", cached.ETag);
            }

            if (mirror && echoed is { } sequence)
            {
                request.Headers.TryAddWithoutValidation(ClusterHeaders.MirrorSequence, MirrorSequence.Format(sequence));
            }

            if (cached is not null && !plain && _options.UseDeltas)
            {
                OfferDictionary(request, cached, byMirror);
            }

            return request;
        }, cancellationToken);

        var response = answer.Response;
        var servedBy = response.Headers.TryGetValues(ClusterHeaders.ServedBy, out var values) ? values.FirstOrDefault() : null;
        NoteRoute(session, answer, servedBy, cancellationToken);
        var answered = mirror ? SequenceOf(response) : null;
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotModified when cached is not null:
                _cache.Apply(key, null, cached.Validator, echoed, answered);
                _counters.NotModified(cached.Content.Length);
                return (new ClusterItem(key, cached.Content, cached.ETag, cached.ContentType, true, servedBy), response.StatusCode, null);
            case HttpStatusCode.NotModified:
                throw new ClusterClientException($"The node answered 304 for '{key}', which this client does not hold.", 304);
            case HttpStatusCode.OK:
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                var delta = IsDelta(response);
                var content = delta ? Decode(body, cached) : body;
                var fresh = content is null ? null
                    : new CachedItem(key, content, ItemValidator.Compute(content), response.Content.Headers.ContentType?.ToString(), false);
                var etag = response.Headers.ETag?.Tag;
                if (fresh is null || (etag is not null && !string.Equals(etag, fresh.ETag, StringComparison.Ordinal)))
                {
                    // A delta this client cannot decode to the tagged bytes (it was built against another version, or the
                    // node lied): ask once more for the plain item, adopting nothing from this answer.
                    return delta && !plain
                        ? await FetchAsync(session, itemKey, cancellationToken, plain: true)
                        : throw new ClusterClientException($"Item '{key}' arrived damaged: its bytes do not match the ETag {etag}.", 200);
                }

                _cache.Apply(key, fresh, null, echoed, answered);
                _counters.Full(body.Length, fresh.Content.Length, delta);
                return (new ClusterItem(key, fresh.Content, fresh.ETag, fresh.ContentType, false, servedBy), response.StatusCode, null);
            case HttpStatusCode.NotFound:
                _cache.Remove(key);
                return (null, response.StatusCode, null);
            default:
                return (null, response.StatusCode, await ReadProblemAsync(response, cancellationToken));
        }
    }

    /// <summary>Whether the cluster still knows this client (<c>GET /api/clients/{clientId}</c>: 200, or 404 when it was removed).</summary>
    private async Task<bool> IsKnownAsync(ClientSession session, CancellationToken cancellationToken)
    {
        using var answer = await SendAsync(Targets(session), node => Authorized(HttpMethod.Get,
            Endpoint(node, ClusterPaths.Client(ClientId)), session), cancellationToken);
        return answer.Response.StatusCode != HttpStatusCode.NotFound;
    }

    /// <summary>A failover (answered through another node than the primary) or a moved assignment: refresh the session.</summary>
    private void NoteRoute(ClientSession session, Answer answer, string? servedBy, CancellationToken cancellationToken)
    {
        if (answer.TargetIndex != 0)
        {
            _counters.Failover();
        }

        if (answer.TargetIndex != 0 || (servedBy is not null && servedBy != session.Primary.NodeId))
        {
            var at = Targets(session)[answer.TargetIndex];
            _ = RefreshAssignmentAsync(at, session, cancellationToken);
        }
    }

    private static ulong? SequenceOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues(ClusterHeaders.MirrorSequence, out var values)
        && MirrorSequence.TryParse(values.FirstOrDefault(), out var sequence) ? sequence : null;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _sessionGate.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
