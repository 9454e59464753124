using System.Net.Sockets;
using ClusterPortal.Client.Contract;

namespace ClusterEngine.Membership;

/// <summary>
/// Dials the URL a joining (or moved) node advertises before the cluster records it (docs/identity.md, "Joining"): a
/// member the others cannot reach would count against the quorum, be offered clients it never gets and receive forwards
/// that fail. One <c>GET {url}/health/live</c>: reachable means a success status with <c>X-Served-By</c> naming the node
/// itself (every node sends it there) — not just any HTTP answer, which a proxy or another service at that address gives
/// too (an attack joined a node advertising a Python web server's URL). Used by <see cref="NodeAdmission"/> at the seed.
/// Thread-safe; one pooled handler for the process.
/// </summary>
public sealed class AdvertisedUrlProbe : IDisposable
{
    private readonly HttpMessageInvoker _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) });

    /// <summary>Why node <paramref name="nodeId"/> cannot be reached at <paramref name="url"/> within <paramref name="timeout"/>, or null when it answered there.</summary>
    /// <param name="url">The advertised absolute http(s) URL.</param>
    /// <param name="nodeId">The node that advertises it.</param>
    /// <param name="timeout">How long to wait for an answer (connect and headers).</param>
    /// <param name="cancellationToken">Stops the probe.</param>
    /// <returns>A short reason for the operator ("connection refused", "no answer within 1.5 s", …), or null.</returns>
    public async Task<string?> ProblemAsync(string url, string nodeId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(url.TrimEnd('/') + "/"), "health/live"));
            using var response = await _http.SendAsync(request, deadline.Token);
            var servedBy = response.Headers.TryGetValues(ClusterHeaders.ServedBy, out var values) ? values.FirstOrDefault() : null;
            return response.IsSuccessStatusCode && servedBy == nodeId ? null
                : servedBy is null ? $"what answers there is not a ClusterPortal node: {(int)response.StatusCode} without {ClusterHeaders.ServedBy}"
                : $"the node answering there is {servedBy} ({(int)response.StatusCode})";
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
