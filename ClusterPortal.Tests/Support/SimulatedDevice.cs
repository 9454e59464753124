using System.Net;
using ClusterPortal.Client;
using ClusterPortal.Tests.Support.History;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// One simulated device of a fault run: a real <see cref="ClusterClient"/> (the SDK, with its retries and failover) that
/// logs on, then fetches items in a loop, now and then clearing its cache, and records every operation in a
/// <see cref="ClusterHistory"/> as it saw it: the validator it held when it asked (its own record of what the SDK
/// cached) and the status, <c>ETag</c> and serving node of the final answer (taken from the wire by a handler).
/// </summary>
public sealed class SimulatedDevice : IAsyncDisposable
{
    private readonly ClusterHistory _history;
    private readonly IReadOnlyList<string> _keys;
    private readonly WireRecorder _wire = new();
    private readonly ClusterClient _client;
    private readonly Dictionary<string, string> _held = new(StringComparer.Ordinal);
    private readonly Random _random;

    public SimulatedDevice(string clientId, IEnumerable<string> addresses, IReadOnlyList<string> keys, bool useMirror, ClusterHistory history, int seed)
    {
        (_history, _keys, _random) = (history, keys, new Random(seed));
        var options = new ClusterClientOptions
        {
            ClientId = clientId,
            UseCacheMirror = useMirror,
            AttemptTimeout = TimeSpan.FromSeconds(3),
            OperationTimeout = TimeSpan.FromSeconds(20),
        };
        foreach (var address in addresses)
        {
            options.SharedAddress.Add(new Uri(address));
        }

        _client = new ClusterClient(options, _wire);
    }

    public string ClientId => _client.ClientId;

    /// <summary>Logs on (announce), recorded; true when it succeeded.</summary>
    public async Task<bool> LogOnAsync(CancellationToken cancellationToken)
    {
        var started = ClusterHistory.Now;
        _wire.Last = null;
        try
        {
            var session = await _client.LogOnAsync(cancellationToken);
            Record(OperationKind.Announce, null, started, _wire.Last?.Status ?? 200, session.Primary.NodeId, null, null, null);
            return true;
        }
        catch (ClusterClientException ex)
        {
            Record(OperationKind.Announce, null, started, ex.StatusCode, null, null, null, ex.Message);
            return false;
        }
    }

    /// <summary>Fetches items until <paramref name="stop"/> is cancelled, <paramref name="think"/> apart; clears its cache about every 40 operations.</summary>
    public async Task RunAsync(TimeSpan think, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (_random.Next(40) == 0)
            {
                await ClearAsync(stop);
            }
            else
            {
                await GetAsync(_keys[_random.Next(_keys.Count)], stop);
            }

            try
            {
                await Task.Delay(think, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        _wire.Dispose();
    }

    private async Task GetAsync(string key, CancellationToken stop)
    {
        var held = _held.GetValueOrDefault(key);
        var started = ClusterHistory.Now;
        _wire.Last = null;
        try
        {
            var item = await _client.GetItemAsync(key, stop);
            var last = _wire.Last;
            if (item is not null)
            {
                _held[key] = item.ETag;
            }

            Record(OperationKind.Get, key, started, last?.Status ?? (item is null ? 404 : 200), last?.ServedBy ?? item?.ServedBy, held, last?.ETag ?? item?.ETag, null);
        }
        catch (ClusterClientException ex)
        {
            Record(OperationKind.Get, key, started, ex.StatusCode, _wire.Last?.ServedBy, held, null, ex.Message);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the run ended mid-request: not an operation the device completed
        }
    }

    private async Task ClearAsync(CancellationToken stop)
    {
        _held.Clear(); // from here on the device holds nothing, whatever the report's fate
        try
        {
            await _client.ClearCacheAsync(stop);
        }
        catch (Exception ex) when (ex is ClusterClientException || (ex is OperationCanceledException && stop.IsCancellationRequested))
        {
            // The SDK stops echoing its sequence after a clear, so the mirror cannot vouch for the old copies either way.
        }
    }

    private void Record(OperationKind kind, string? key, long started, int? status, string? servedBy, string? held, string? answer, string? error) =>
        _history.Record(new ClientOperation(ClientId, kind, key, started, ClusterHistory.Now, status, servedBy, held, answer, error));

    /// <summary>The last HTTP exchange of the device (it sends one request at a time): what the final answer said.</summary>
    private sealed class WireRecorder() : DelegatingHandler(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None })
    {
        public volatile Exchange? Last;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var servedBy = response.Headers.TryGetValues("X-Served-By", out var values) ? values.FirstOrDefault() : null;
            Last = new Exchange((int)response.StatusCode, response.Headers.ETag?.ToString(), servedBy);
            return response;
        }
    }

    private sealed record Exchange(int Status, string? ETag, string? ServedBy);
}
