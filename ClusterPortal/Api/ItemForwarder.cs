using System.Net;
using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterPortal.Client.Contract;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace ClusterPortal.Api;

/// <summary>
/// Forwards a client request to the node that serves it (docs/architecture.md §5, §7) with YARP's
/// <see cref="IHttpForwarder"/>: the request target exactly as the client encoded it (raw target, no
/// re-encoding), headers kept, the answer passed back untouched; marked with <see cref="ClusterHeaders.Forwarded"/>, a
/// <see cref="ForwardMarker"/> for exactly this request and target node, so it is never forwarded a second time and no
/// client can pose as the peer hop (docs/identity.md). One pooled HTTP/1.1 client: its connections to each peer stay
/// open and are reused (keep-alive), so a forward costs no connect.
/// </summary>
internal sealed partial class ItemForwarder : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly ClusterState _state;
    private readonly PeerGoneSignal _peerGone;
    private readonly ForwarderRequestConfig _config;
    private readonly HttpMessageInvoker _client;
    private readonly ForwardMarker _marker;
    private readonly PeerGuard _guard;
    private readonly ILogger _logger;

    /// <summary>Creates the forwarder with <c>Cluster:ForwardConnectTimeout</c> and <c>Cluster:ForwardActivityTimeout</c>.</summary>
    public ItemForwarder(IHttpForwarder forwarder, ClusterState state, PeerGoneSignal peerGone, ForwardMarker marker, PeerGuard guard,
        IOptions<ClusterOptions> options, ILogger<ItemForwarder> logger)
    {
        var o = options.Value;
        (_forwarder, _state, _peerGone, _marker, _guard, _logger) = (forwarder, state, peerGone, marker, guard, logger);
        _config = new ForwarderRequestConfig
        {
            ActivityTimeout = o.ForwardActivityTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = o.ForwardConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ActivityHeadersPropagator = null, // no trace context is collected: no header work per hop
        });
    }

    /// <summary>What became of a forward.</summary>
    public enum Outcome
    {
        /// <summary>The peer's answer (or an error after it started) went to the client.</summary>
        Answered,

        /// <summary>The peer could not be reached before anything was sent back (refused, connect or activity timeout, declared Down meanwhile): the caller applies Fig. 6 in the same request.</summary>
        PeerUnreachable,

        /// <summary>The client went away first: nothing to answer, and no evidence against the peer.</summary>
        ClientGone,

        /// <summary>
        /// The peer answered that an operator removed it (503 with <see cref="ClusterHeaders.NodeRemoved"/>); nothing was sent
        /// to the client. The removed node is told before the others (docs/recovery.md, "Removal and re-add"): the caller
        /// waits for the removal to reach this node's view and fails the client over in the same request.
        /// </summary>
        PeerRemoved,
    }

    /// <summary>
    /// True when this request came through a peer (one hop at most): its <see cref="ClusterHeaders.Forwarded"/> marker was
    /// written by a member for exactly this request to this node (<see cref="ForwardMarker"/>). A marker that does not
    /// verify — set by a client, copied, stale — is removed, and the request is routed as any client request.
    /// </summary>
    public bool CameFromPeer(HttpRequest request, string clientId)
    {
        if (!request.Headers.TryGetValue(ClusterHeaders.Forwarded, out var marker))
        {
            return false;
        }

        if (_marker.Verify(marker.Count == 1 ? marker[0] : null, _state.LocalNodeId, request.Method, TargetOf(request.HttpContext), clientId, out var from)
            && _guard.IsMember(from))
        {
            return true;
        }

        request.Headers.Remove(ClusterHeaders.Forwarded);
        return false;
    }

    /// <summary>Sends the request to <paramref name="nodeId"/> with a marker bound to it and <paramref name="clientId"/> (see <see cref="Outcome"/>).</summary>
    public async Task<Outcome> TryForwardAsync(HttpContext http, string nodeId, string clientId)
    {
        var url = _state.Members.UrlOf(nodeId);
        if (url is null)
        {
            return Outcome.PeerUnreachable;
        }

        http.Request.Headers[ClusterHeaders.Forwarded] = _marker.Create(_state.LocalNodeId, nodeId, http.Request.Method, TargetOf(http), clientId);

        // A peer that stops answering mid-request (SIGSTOP, a hung host: the TCP connection stays open) would hold the
        // request for the whole activity timeout (Cluster:ForwardActivityTimeout, 30 s): the forward ends as soon as the
        // health monitor declares the peer Down (PeerGoneSignal, fed by the change stream), and the caller fails over to
        // the alternate in the same request. The client hanging up ends it too: YARP links the token it is given with
        // the request's RequestAborted in its own pooled source, so no linked source of ours is made per forward.
        var peerGone = _peerGone.WhenGone(nodeId);
        var error = await _forwarder.SendAsync(http, url, _client, _config, RawTargetTransformer.Instance, peerGone);
        if (error == ForwarderError.None && RawTargetTransformer.DeclinedRemoved(http))
        {
            http.Response.Clear(); // YARP had set the peer's status; nothing else was copied
            LogPeerRemoved(nodeId);
            return Outcome.PeerRemoved;
        }

        if (error == ForwarderError.None || http.Response.HasStarted)
        {
            return Outcome.Answered;
        }

        // A client that goes away is never evidence against the peer (a hang-up while the primary was slow failed it over).
        if (http.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(nodeId);
            return Outcome.ClientGone;
        }

        if (!peerGone.IsCancellationRequested && error is not (ForwarderError.Request or ForwarderError.RequestTimedOut))
        {
            return Outcome.Answered; // YARP answered it (a 502 or 400 naming the failure)
        }

        // Nothing was sent to the client: undo YARP's error status so the caller can answer.
        http.Response.Clear();
        http.Features.Set<IForwarderErrorFeature>(null);
        LogPeerUnreachable(nodeId, error);
        return Outcome.PeerUnreachable;
    }

    [LoggerMessage(EventId = LogEvents.ClientGone, Level = LogLevel.Debug, Message = "A forward to {PeerId} ended: the client went away (no evidence against the peer)")]
    private partial void LogClientGone(string peerId);

    [LoggerMessage(EventId = LogEvents.PeerUnreachable, Level = LogLevel.Debug, Message = "A forward to {PeerId} could not reach it ({Error}): failing over in the same request")]
    private partial void LogPeerUnreachable(string peerId, ForwarderError error);

    [LoggerMessage(EventId = LogEvents.PeerRemovedAnswer, Level = LogLevel.Debug, Message = "A forward to {PeerId} was answered 'removed from the cluster': failing over in the same request once this view has the removal")]
    private partial void LogPeerRemoved(string peerId);

    public void Dispose() => _client.Dispose();

    /// <summary>The request target the marker is bound to: as the client sent it, which is what the forward sends on.</summary>
    private static string TargetOf(HttpContext http) =>
        http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw && raw.StartsWith('/') ? raw : http.Request.Path + http.Request.QueryString;

    /// <summary>
    /// Keeps the client's request target byte for byte (no decoding of %2F, no double encoding), and keeps a removed peer's
    /// 503 from the client (<see cref="Outcome.PeerRemoved"/>).
    /// </summary>
    private sealed class RawTargetTransformer : HttpTransformer
    {
        public static readonly RawTargetTransformer Instance = new();

        private static readonly object RemovedKey = new();

        /// <summary>True when the peer's answer was a removed node's 503, declined (not copied to the client).</summary>
        public static bool DeclinedRemoved(HttpContext http) =>
            http.Response.StatusCode == StatusCodes.Status503ServiceUnavailable && !http.Response.HasStarted && http.Items.ContainsKey(RemovedKey);

        public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            if (proxyResponse is { StatusCode: HttpStatusCode.ServiceUnavailable } && proxyResponse.Headers.Contains(ClusterHeaders.NodeRemoved))
            {
                httpContext.Items[RemovedKey] = RemovedKey;
                return ValueTask.FromResult(false); // YARP discards the body; the caller answers
            }

            return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

            // The hop goes to the peer's own address: the client's Host names this node (or anything the client wrote,
            // which this node accepted), and YARP's copy of it made the primary refuse some the first hop had accepted
            // (Host: evil.example:99999 — 200 at the primary, an empty 400 through a peer; found by attack).
            proxyRequest.Headers.Host = null;
            var raw = httpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
            if (!string.IsNullOrEmpty(raw) && raw.StartsWith('/'))
            {
                proxyRequest.RequestUri = new Uri(destinationPrefix.TrimEnd('/') + raw, UriKind.Absolute);
            }
        }
    }
}
