using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// A device that relies on the nodes' mirror (patent Fig. 9): every item request carries <c>Prefer: cache-mirror</c>
/// and echoes the last <c>X-Mirror-Sequence</c> it received, never its own validator. It keeps the ETag of every item
/// it holds, counts body bytes it downloads, and fails the test on a wrong 304 (one whose ETag is not what it holds).
/// </summary>
public sealed class MirrorClient(HttpClient http, string clientId, string token)
{
    private readonly Dictionary<string, string> _held = new(StringComparer.Ordinal);

    public string ClientId { get; } = clientId;

    public string Token { get; } = token;

    /// <summary>The last mirror sequence received (16 hex digits), or null.</summary>
    public string? Sequence { get; private set; }

    /// <summary>Item key → the ETag of the copy this device holds.</summary>
    public IReadOnlyDictionary<string, string> Held => _held;

    public long BodyBytes { get; private set; }

    /// <summary>One item request through <paramref name="nodeUrl"/>; returns the status (200 or 304; anything else fails).</summary>
    public async Task<int> GetAsync(string nodeUrl, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{nodeUrl}/api/clients/{ClientId}/items/{key}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        request.Headers.Add("Prefer", "cache-mirror");
        if (Sequence is not null)
        {
            request.Headers.Add("X-Mirror-Sequence", Sequence);
        }

        using var response = await http.SendAsync(request);
        var etag = response.Headers.ETag?.ToString();
        var sequence = response.Headers.TryGetValues("X-Mirror-Sequence", out var values) ? values.Single() : null;
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                var body = await response.Content.ReadAsByteArrayAsync();
                BodyBytes += body.Length;
                _held[key] = etag!;
                break;
            case HttpStatusCode.NotModified:
                Assert.True(_held.TryGetValue(key, out var mine) && mine == etag,
                    $"wrong 304 for {key}: the answer says {etag}, the device holds {(mine ?? "nothing")}");
                break;
            default:
                Assert.Fail($"{ClientId} {key} via {nodeUrl}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                break;
        }

        Sequence = sequence;
        return (int)response.StatusCode;
    }

    /// <summary><c>DELETE /api/sessions/{clientId}</c> (log off) through <paramref name="nodeUrl"/>.</summary>
    public async Task LogOffAsync(string nodeUrl)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri($"{nodeUrl}/api/sessions/{ClientId}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>A node's own mirror of this client (<c>GET /api/clients/{id}/mirror</c>, admin): sequence and key → ETag.</summary>
    public async Task<(string Role, string Sequence, Dictionary<string, string> Entries)> MirrorAtAsync(string nodeUrl, string adminKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{nodeUrl}/api/clients/{ClientId}/mirror"));
        request.Headers.Add("X-Admin-Key", adminKey);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return ("None", "0000000000000000", []);
        }

        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        var entries = root.GetProperty("entries").EnumerateArray()
            .ToDictionary(e => e.GetProperty("key").GetString()!, e => e.GetProperty("eTag").GetString()!, StringComparer.Ordinal);
        return (root.GetProperty("role").GetString()!, root.GetProperty("sequence").GetString()!, entries);
    }

    /// <summary>How many items this device holds that <paramref name="mirror"/> does not know in the same version.</summary>
    public int Missing(IReadOnlyDictionary<string, string> mirror) =>
        _held.Count(h => !mirror.TryGetValue(h.Key, out var tag) || tag != h.Value);
}
