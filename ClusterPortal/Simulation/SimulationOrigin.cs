using System.Net.Http.Headers;
using ClusterPortal.Client;

namespace ClusterPortal.Simulation;

/// <summary>Publishes and changes the simulation's items at the origin (admin <c>PUT /api/items/{key}</c>), trying each target node in turn.</summary>
internal sealed class SimulationOrigin(HttpMessageHandler handler, SimulationOptions options) : IDisposable
{
    private readonly HttpClient _http = new(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) };

    public async Task PutAsync(string key, byte[] content, CancellationToken cancellationToken)
    {
        if (!await TryPutAsync(key, content, cancellationToken))
        {
            throw new ClusterClientException($"Could not publish '{key}' at any of {string.Join(", ", options.Target)} (is the admin key right?).");
        }
    }

    public async Task<bool> TryPutAsync(string key, byte[] content, CancellationToken cancellationToken)
    {
        foreach (var node in options.Target)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"{node.AbsoluteUri.TrimEnd('/')}/api/items/{key}"))
            {
                Content = new ByteArrayContent(content),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            request.Headers.Add("X-Admin-Key", options.AdminKey);
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Next node.
            }
        }

        return false;
    }

    public void Dispose() => _http.Dispose();
}
