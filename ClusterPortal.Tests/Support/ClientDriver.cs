using System.Net;
using System.Net.Http.Headers;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// Sends item requests for a set of clients continuously through a given set of nodes (never any other
/// node's URL) and records every answer, so a test can assert "zero failed requests" across a failure.
/// </summary>
public sealed class ClientDriver : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly IReadOnlyList<ProcessCluster.Node> _through;
    private readonly IReadOnlyList<(string ClientId, string Token)> _clients;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly List<Result> _results = [];

    public ClientDriver(IReadOnlyList<ProcessCluster.Node> through, IReadOnlyList<(string ClientId, string Token)> clients, int workers = 4, int requestTimeoutMs = 15_000)
    {
        _through = through;
        _clients = clients;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(requestTimeoutMs) };
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            _workers.Add(Task.Run(() => RunAsync(worker)));
        }
    }

    /// <summary>One request: when it was sent and answered, where, for whom, and how it ended.</summary>
    public sealed record Result(DateTime SentAt, DateTime DoneAt, string ClientId, string Via, int Status, string? ServedBy, string? Error)
    {
        public bool Ok => Status is 200 or 304;

        public override string ToString() =>
            $"{SentAt:HH:mm:ss.fff}-{DoneAt:HH:mm:ss.fff} {ClientId} via {Via}: {Status} served-by={ServedBy ?? "-"} {Error}";
    }

    public IReadOnlyList<Result> Results
    {
        get
        {
            lock (_results)
            {
                return [.. _results];
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> more requests have been answered.</summary>
    public Task WaitForMoreAsync(int count, int timeoutMs = 20_000)
    {
        var target = Results.Count + count;
        return Eventually.True(() => Results.Count >= target, $"{count} more driver requests", timeoutMs);
    }

    /// <summary>Stops sending and waits for the requests in flight.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _http.Dispose();
    }

    private async Task RunAsync(int worker)
    {
        var i = worker;
        while (!_stop.IsCancellationRequested)
        {
            var (clientId, token) = _clients[i % _clients.Count];
            var via = _through[Random.Shared.Next(_through.Count)];
            i += 7;
            var sent = DateTime.UtcNow;
            Result result;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{via.Url}/api/clients/{clientId}/items/hello.txt"));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await _http.SendAsync(request);
                var servedBy = response.Headers.TryGetValues("X-Served-By", out var values) ? values.FirstOrDefault() : null;
                var body = response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified ? null : await response.Content.ReadAsStringAsync();
                result = new Result(sent, DateTime.UtcNow, clientId, via.NodeId, (int)response.StatusCode, servedBy, body);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                result = new Result(sent, DateTime.UtcNow, clientId, via.NodeId, 0, null, ex.GetType().Name + ": " + ex.Message);
            }

            lock (_results)
            {
                _results.Add(result);
            }
        }
    }
}
