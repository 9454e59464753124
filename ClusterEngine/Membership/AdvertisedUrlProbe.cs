using System.Net.Sockets;

namespace ClusterEngine.Membership;

/// <summary>
/// Dials the URL a joining (or moved) node advertises before the cluster records it (docs/identity.md, "Joining"): a
/// member the others cannot reach would count against the quorum, be offered clients it never gets and receive forwards
/// that fail. One <c>GET {url}/health/live</c>; any HTTP answer means reachable. Used by <see cref="NodeAdmission"/> at
/// the seed. Thread-safe; one pooled handler for the process.
/// </summary>
public sealed class AdvertisedUrlProbe : IDisposable
{
    private readonly HttpMessageInvoker _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) });

    /// <summary>Why <paramref name="url"/> cannot be reached within <paramref name="timeout"/>, or null when it answered.</summary>
    /// <param name="url">The advertised absolute http(s) URL.</param>
    /// <param name="timeout">How long to wait for an answer (connect and headers).</param>
    /// <param name="cancellationToken">Stops the probe.</param>
    /// <returns>A short reason for the operator ("connection refused", "no answer within 1.5 s", …), or null.</returns>
    public async Task<string?> ProblemAsync(string url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(url.TrimEnd('/') + "/"), "health/live"));
            using var response = await _http.SendAsync(request, deadline.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0.##} s";
        }
        catch (HttpRequestException ex)
        {
            return ex.InnerException is SocketException socket ? socket.Message : ex.Message;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
