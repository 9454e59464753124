using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace ClusterEngine.Backplane;

/// <summary>
/// A peer answered this node's backplane connection with 401 or 403: it is there, and refuses this node's credential.
/// Before, the joining node logged such a seed as "unreachable: The server returned status code '401'", while the cause
/// (clocks further apart than <c>Cluster:PeerClockSkew</c>, or another <c>Cluster:Key</c>) was only in the seed's log.
/// </summary>
/// <param name="message">What the peer refused and the likely cause (<see cref="PeerRefusal.Explain"/>).</param>
public sealed class PeerRefusedException(string message) : Exception(message);

/// <summary>
/// Opens the backplane WebSocket to a peer (SignalR's <see cref="HttpConnectionOptions.WebSocketFactory"/>) with the
/// HTTP answer kept, so a refusal says why (<see cref="Explain"/>): a credential is refused for its key or for its time
/// stamp (docs/identity.md), and the refusing peer's <c>Date</c> tells the two apart.
/// </summary>
public static class PeerRefusal
{
    /// <summary>
    /// The WebSocket factory: what SignalR's own does for our options (the request headers, the
    /// <see cref="HttpConnectionOptions.WebSocketConfiguration"/>), plus the HTTP answer on a refusal.
    /// </summary>
    /// <param name="context">The URL (ws/wss) and the connection's options.</param>
    /// <param name="time">This node's clock (the one its credentials are stamped with).</param>
    /// <param name="allowedSkew"><c>Cluster:PeerClockSkew</c>.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The open socket.</returns>
    /// <exception cref="PeerRefusedException">The peer answered 401 or 403.</exception>
    public static async ValueTask<WebSocket> ConnectAsync(WebSocketConnectionContext context, TimeProvider time, TimeSpan allowedSkew,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(time);
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.CollectHttpResponseDetails = true;
            foreach (var (name, value) in context.Options.Headers)
            {
                socket.Options.SetRequestHeader(name, value);
            }

            context.Options.WebSocketConfiguration?.Invoke(socket.Options);
            await socket.ConnectAsync(context.Uri, cancellationToken);
            return socket;
        }
        catch (WebSocketException) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var status = socket.HttpStatusCode;
            var date = socket.HttpResponseHeaders?.TryGetValue("Date", out var values) == true ? values.FirstOrDefault() : null;
            socket.Dispose();
            throw new PeerRefusedException(Explain(status, ParseDate(date), time.GetUtcNow(), allowedSkew));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Why a peer refused this node's credential: its clock, when its <c>Date</c> is further from this node's than
    /// <paramref name="allowedSkew"/> less one second (a <c>Date</c> has whole seconds); otherwise another cluster key.
    /// </summary>
    /// <param name="status">The peer's answer (401 or 403).</param>
    /// <param name="peerDate">The peer's <c>Date</c>, or null when it sent none.</param>
    /// <param name="now">This node's clock.</param>
    /// <param name="allowedSkew"><c>Cluster:PeerClockSkew</c>.</param>
    /// <returns>One sentence for the log.</returns>
    public static string Explain(HttpStatusCode status, DateTimeOffset? peerDate, DateTimeOffset now, TimeSpan allowedSkew)
    {
        var code = ((int)status).ToString(CultureInfo.InvariantCulture);
        if (peerDate is { } date && (date - now).Duration() > allowedSkew - TimeSpan.FromSeconds(1))
        {
            var apart = (date - now).TotalSeconds;
            return string.Create(CultureInfo.InvariantCulture,
                $"it refused this node's credential ({code}): its clock is {Math.Abs(apart):0} s {(apart < 0 ? "behind" : "ahead of")} this node's, more than Cluster:PeerClockSkew ({allowedSkew.TotalSeconds:0.#} s) allows; synchronise the hosts' clocks (NTP)");
        }

        return peerDate is null
            ? $"it refused this node's credential ({code}): does it accept this node's Cluster:Key (its own, or one of its Cluster:AcceptedKeys during a key change), and are their clocks within Cluster:PeerClockSkew?"
            : $"it refused this node's credential ({code}) although the clocks agree: does it accept this node's Cluster:Key (its own, or one of its Cluster:AcceptedKeys during a key change)?";
    }

    private static DateTimeOffset? ParseDate(string? value) =>
        DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date : null;
}
