using System.Text.Json;

namespace ClusterPortal.LocalCluster;

/// <summary>A member of the local cluster as <c>GET /api/cluster</c> shows it.</summary>
/// <param name="NodeId">The node id.</param>
/// <param name="Url">Its URL.</param>
/// <param name="State">Its state (<c>Up</c>, <c>Down</c>, …).</param>
internal sealed record LocalClusterMember(string NodeId, string Url, string State)
{
    /// <summary>The members as node-1 of <paramref name="layout"/> sees them (with the admin key, whatever <c>Portal:AnonymousView</c> says).</summary>
    /// <exception cref="HttpRequestException">node-1 does not answer or refuses.</exception>
    public static async Task<IReadOnlyList<LocalClusterMember>> ListAsync(HttpClient http, LocalClusterLayout layout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(layout.Options.NodeUrl(1) + "/api/cluster"));
        request.Headers.Add("X-Admin-Key", layout.Keys.AdminKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return [.. body.RootElement.GetProperty("nodes").EnumerateArray().Select(n => new LocalClusterMember(
            n.GetProperty("nodeId").GetString()!, n.GetProperty("url").GetString()!, n.GetProperty("state").GetString()!))];
    }
}

/// <summary>Members of the local cluster that this launcher did not start (an extra node added earlier with <c>add-node</c>).</summary>
internal static class LocalClusterMembers
{
    /// <summary>The members not among <paramref name="started"/>; empty when node-1 cannot tell.</summary>
    public static async Task<IReadOnlyList<LocalClusterMember>> NotStartedAsync(
        HttpClient http, LocalClusterLayout layout, IReadOnlyList<NodeProcess> started, CancellationToken cancellationToken)
    {
        try
        {
            var members = await LocalClusterMember.ListAsync(http, layout, cancellationToken).ConfigureAwait(false);
            // Left: removed (or left gracefully); it is shown on the dashboard and not expected to run.
            return [.. members.Where(m => m.State != "Left" && started.All(s => s.NodeId != m.NodeId))];
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException && !cancellationToken.IsCancellationRequested)
        {
            return [];
        }
    }
}
