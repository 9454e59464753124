using System.Net;
using System.Net.Http.Headers;
using ClusterPortal.Client;

namespace ClusterPortal.Simulation;

/// <summary>Publishes and changes the simulation's items at the origin (admin <c>PUT /api/items/{key}</c>), trying each target node in turn.</summary>
internal sealed class SimulationOrigin(HttpMessageHandler handler, SimulationOptions options) : IDisposable
{
    private readonly HttpClient _http = new(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Publishes <paramref name="key"/>.</summary>
    /// <exception cref="ClusterClientException">No node took it; the message tells "nothing answers" from "the admin key was refused".</exception>
    public async Task PutAsync(string key, byte[] content, CancellationToken cancellationToken)
    {
        var outcome = await TryPutCoreAsync(key, content, cancellationToken);
        if (outcome.Stored)
        {
            return;
        }

        var targets = string.Join(", ", options.Target.Select(t => t.AbsoluteUri.TrimEnd('/')));
        throw outcome.Refused is { } refused
            ? new ClusterClientException($"the admin key was refused by {refused.Node} ({(int)refused.Status} {refused.Status}): give the cluster's Portal:AdminKey (see README, \"Load simulator\").", (int)refused.Status)
            : outcome.Answered is { } answered
                ? new ClusterClientException($"{answered.Node} did not store '{key}' ({(int)answered.Status} {answered.Status}).", (int)answered.Status)
                : new ClusterClientException($"nothing answers at {targets}: is the cluster running? (start a local one with `dotnet run --project ClusterPortal`)");
    }

    /// <summary>Publishes <paramref name="key"/>; false when no node took it.</summary>
    public async Task<bool> TryPutAsync(string key, byte[] content, CancellationToken cancellationToken) =>
        (await TryPutCoreAsync(key, content, cancellationToken)).Stored;

    private async Task<PutOutcome> TryPutCoreAsync(string key, byte[] content, CancellationToken cancellationToken)
    {
        var outcome = new PutOutcome();
        foreach (var node in options.Target)
        {
            var url = node.AbsoluteUri.TrimEnd('/');
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"{url}/api/items/{key}"))
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
                    return outcome with { Stored = true };
                }

                outcome = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                    ? outcome with { Refused = (url, response.StatusCode) }
                    : outcome with { Answered = (url, response.StatusCode) };
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Nothing answers there: next node.
            }
        }

        return outcome;
    }

    public void Dispose() => _http.Dispose();

    private readonly record struct PutOutcome(bool Stored, (string Node, HttpStatusCode Status)? Refused, (string Node, HttpStatusCode Status)? Answered);
}
