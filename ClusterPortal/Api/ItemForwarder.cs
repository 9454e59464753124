using System.Diagnostics;
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
/// Forwards a client request to the node that serves it (DESIGN.md §5, §7) with YARP's
/// <see cref="IHttpForwarder"/>: the request target exactly as the client encoded it (raw target, no
/// re-encoding), headers kept, the answer passed back untouched; marked with <see cref="ClusterHeaders.Forwarded"/>, a
/// <see cref="ForwardMarker"/> for exactly this request and target node, so it is never forwarded a second time and no
/// client can pose as the peer hop (docs/identity.md).
/// </summary>
internal sealed class ItemForwarder : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly ClusterState _state;
    private readonly TimeSpan _peerWatchPeriod;
    private readonly ForwarderRequestConfig _config;
    private readonly HttpMessageInvoker _client;
    private readonly ForwardMarker _marker;
    private readonly PeerGuard _guard;

    /// <summary>Creates the forwarder with <c>Cluster:ForwardConnectTimeout</c>, <c>Cluster:ForwardActivityTimeout</c> and <c>Cluster:ForwardPeerWatchInterval</c>.</summary>
    public ItemForwarder(IHttpForwarder forwarder, ClusterState state, ForwardMarker marker, PeerGuard guard, IOptions<ClusterOptions> options)
    {
        var o = options.Value;
        (_forwarder, _state, _peerWatchPeriod, _marker, _guard) = (forwarder, state, o.ForwardPeerWatchInterval, marker, guard);
        _config = new ForwarderRequestConfig { ActivityTimeout = o.ForwardActivityTimeout };
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = o.ForwardConnectTimeout,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        });
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

    /// <summary>
    /// Sends the request to <paramref name="nodeId"/>. Returns true when an answer was produced (the
    /// peer's, or an error after the answer started); false when the peer could not be reached before
    /// anything was sent back — the caller then applies Fig. 6 in the same request.
    /// </summary>
    public async Task<bool> TryForwardAsync(HttpContext http, string nodeId, string clientId)
    {
        var url = _state.GetNode(nodeId)?.Url;
        if (url is null)
        {
            return false;
        }

        http.Request.Headers[ClusterHeaders.Forwarded] = _marker.Create(_state.LocalNodeId, nodeId, http.Request.Method, TargetOf(http), clientId);

        // A peer that stops answering mid-request (SIGSTOP, a hung host: the TCP connection stays open)
        // would hold the request for the whole activity timeout (Cluster:ForwardActivityTimeout, 30 s). Found by the process failure
        // tests: give up on it as soon as the failure detector declares the peer Down, so the caller
        // fails over to the alternate in the same request.
        using var peerGone = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var watch = WatchPeerAsync(nodeId, peerGone);
        ForwarderError error;
        try
        {
            error = await _forwarder.SendAsync(http, url, _client, _config, RawTargetTransformer.Instance, peerGone.Token);
        }
        finally
        {
            await peerGone.CancelAsync();
            await watch;
        }

        if (error == ForwarderError.None || http.Response.HasStarted)
        {
            return true;
        }

        // Nothing was sent to the client: undo YARP's error status so the caller can answer.
        http.Response.Clear();
        http.Features.Set<IForwarderErrorFeature>(null);
        return !(error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.RequestCanceled);
    }

    /// <summary>Cancels <paramref name="peerGone"/> when <paramref name="nodeId"/> is Down or Left in this node's view (polled).</summary>
    private async Task WatchPeerAsync(string nodeId, CancellationTokenSource peerGone)
    {
        try
        {
            while (!peerGone.IsCancellationRequested)
            {
                await Task.Delay(_peerWatchPeriod, peerGone.Token);
                if (_state.GetNode(nodeId)?.State is null or NodeState.Down or NodeState.Left)
                {
                    await peerGone.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The forward ended (or the peer is gone).
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The request target the marker is bound to: as the client sent it, which is what the forward sends on.</summary>
    private static string TargetOf(HttpContext http) =>
        http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw && raw.StartsWith('/') ? raw : http.Request.Path + http.Request.QueryString;

    /// <summary>Keeps the client's request target byte for byte (no decoding of %2F, no double encoding).</summary>
    private sealed class RawTargetTransformer : HttpTransformer
    {
        public static readonly RawTargetTransformer Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            var raw = httpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
            if (!string.IsNullOrEmpty(raw) && raw.StartsWith('/'))
            {
                proxyRequest.RequestUri = new Uri(destinationPrefix.TrimEnd('/') + raw, UriKind.Absolute);
            }
        }
    }
}
