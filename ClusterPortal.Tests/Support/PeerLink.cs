using ClusterEngine.Backplane;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// A backplane connection opened by the test itself (as a peer, an intruder or a replayer would open one), with the
/// credential headers the test chooses.
/// </summary>
public static class PeerLink
{
    /// <summary>
    /// A fresh credential of <paramref name="asNodeId"/> (incarnation <paramref name="incarnation"/>) for
    /// <paramref name="targetNodeId"/> (null: a join credential), made with <paramref name="clusterKey"/> at the time of
    /// <paramref name="time"/> (the system clock when null).
    /// </summary>
    public static string Credential(string clusterKey, string asNodeId, string? targetNodeId, long incarnation = 0, TimeProvider? time = null) =>
        new PeerCredentials(clusterKey, time).Create(asNodeId, incarnation, targetNodeId);

    /// <summary>The incarnation of <paramref name="nodeId"/> as <paramref name="observerUrl"/> shows it (<c>GET /api/cluster</c>).</summary>
    public static async Task<long> IncarnationAsync(HttpClient http, string observerUrl, string nodeId)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(observerUrl + "/api/cluster")));
        return doc.RootElement.GetProperty("nodes").EnumerateArray()
            .Single(n => n.GetProperty("nodeId").GetString() == nodeId).GetProperty("incarnation").GetInt64();
    }

    /// <summary>A clock <paramref name="offset"/> away from the system clock (a peer whose clock is off, or a captured credential replayed later).</summary>
    public sealed class ShiftedTime(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    /// <summary>Opens a connection to <paramref name="baseUrl"/>'s backplane hub presenting <paramref name="nodeId"/> and <paramref name="credential"/>.</summary>
    public static async Task<HubConnection> ConnectAsync(string baseUrl, string? nodeId, string? credential)
    {
        var hub = Build(baseUrl, nodeId, credential);
        await hub.StartAsync();
        return hub;
    }

    /// <summary>A connection (not started) to <paramref name="baseUrl"/>'s backplane hub with the given headers.</summary>
    public static HubConnection Build(string baseUrl, string? nodeId, string? credential) =>
        new HubConnectionBuilder().WithUrl($"{baseUrl.TrimEnd('/')}/hubs/backplane", HttpTransportType.WebSockets, o =>
        {
            o.SkipNegotiation = true;
            if (nodeId is not null)
            {
                o.Headers[PeerCredentials.NodeHeader] = nodeId;
            }

            if (credential is not null)
            {
                o.Headers[PeerCredentials.AuthHeader] = credential;
            }
        }).Build();
}
