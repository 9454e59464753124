using System.Diagnostics;
using System.Net;
using ClusterEngine;
using ClusterEngine.Membership;
using ClusterPortal.Client.Contract;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace ClusterPortal.Api;

/// <summary>
/// Forwards a client request to the node that serves it (DESIGN.md §5, §7) with YARP's
/// <see cref="IHttpForwarder"/>: the request target exactly as the client encoded it (raw target, no
/// re-encoding), headers kept, the answer passed back untouched; marked with
/// <see cref="ClusterHeaders.Forwarded"/> so it is never forwarded a second time.
/// </summary>
internal sealed class ItemForwarder : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly ClusterState _state;
    private readonly TimeSpan _peerWatchPeriod;
    private readonly ForwarderRequestConfig _config;
    private readonly HttpMessageInvoker _client;

    /// <summary>Creates the forwarder with <c>Cluster:ForwardConnectTimeout</c>, <c>Cluster:ForwardActivityTimeout</c> and <c>Cluster:ForwardPeerWatchInterval</c>.</summary>
    public ItemForwarder(IHttpForwarder forwarder, ClusterState state, IOptions<ClusterOptions> options)
    {
        var o = options.Value;
        (_forwarder, _state, _peerWatchPeriod) = (forwarder, state, o.ForwardPeerWatchInterval);
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

    /// <summary>True when this request already came through a peer (one hop at most).</summary>
    public static bool IsForwarded(HttpRequest request) => request.Headers.ContainsKey(ClusterHeaders.Forwarded);

    /// <summary>
    /// Sends the request to <paramref name="nodeId"/>. Returns true when an answer was produced (the
    /// peer's, or an error after the answer started); false when the peer could not be reached before
    /// anything was sent back — the caller then applies Fig. 6 in the same request.
    /// </summary>
    public async Task<bool> TryForwardAsync(HttpContext http, string nodeId)
    {
        var url = _state.GetNode(nodeId)?.Url;
        if (url is null)
        {
            return false;
        }

        http.Request.Headers[ClusterHeaders.Forwarded] = _state.LocalNodeId;

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
