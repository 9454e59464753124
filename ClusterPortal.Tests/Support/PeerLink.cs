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
    /// <summary>A fresh credential of <paramref name="asNodeId"/> for <paramref name="targetNodeId"/>, made with <paramref name="clusterKey"/>.</summary>
    public static string Credential(string clusterKey, string asNodeId, string targetNodeId) =>
        new PeerCredentials(clusterKey).For(asNodeId);

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
