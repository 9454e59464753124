using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using ClusterEngine.Membership;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Backplane;

/// <summary>
/// The peer transport of one node (patent Fig. 8, item 855: the management backplane): a SignalR client connection to
/// every member's <c>/hubs/backplane</c> (full mesh), sends, request/response calls with a deadline, short-lived
/// <c>Hello</c> connections, and the connection evidence it sees handed to the <see cref="FailureDetector"/> (a drop,
/// a refused connect, a recovery; a dropped connection is re-checked at once by a TCP connect). Knows nothing of what
/// the messages mean: the membership roles do.
/// </summary>
public sealed partial class PeerMesh : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PeerConnection> _peers = new(StringComparer.Ordinal);
    private readonly ClusterState _state;
    private readonly PeerCredentials _credentials;
    private readonly FailureDetector _detector;
    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private readonly BackplaneCallMetrics? _calls;

    /// <summary>Creates the mesh of this node.</summary>
    /// <param name="state">This node's view (its id).</param>
    /// <param name="credentials">Peer credentials from <c>Cluster:Key</c>.</param>
    /// <param name="detector">Receives the connection evidence.</param>
    /// <param name="options">Timeouts and backoff of the connections.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="calls">Times the calls this node waits for (none when the host has no meters).</param>
    public PeerMesh(ClusterState state, PeerCredentials credentials, FailureDetector detector, IOptions<ClusterOptions> options, ILogger<PeerMesh> logger,
        BackplaneCallMetrics? calls = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_state, _credentials, _detector, _options, _logger, _calls) = (state, credentials, detector, options.Value, logger, calls);
    }

    private string Self => _state.LocalNodeId;

    private long Incarnation => _state.GetNode(Self)?.Incarnation ?? 0;

    /// <summary>Peers with an open connection.</summary>
    public IEnumerable<string> ConnectedPeers => _peers.Values.Where(p => p.IsConnected).Select(p => p.NodeId);

    /// <summary>True while a connection to <paramref name="nodeId"/> exists (open or re-opening).</summary>
    public bool Has(string nodeId) => _peers.ContainsKey(nodeId);

    /// <summary>True while the connection to <paramref name="nodeId"/> is open.</summary>
    public bool IsConnected(string nodeId) => _peers.TryGetValue(nodeId, out var peer) && peer.IsConnected;

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for this node's connection to <paramref name="nodeId"/> to be open (see
    /// <see cref="PeerConnection.WaitConnectedAsync"/>); false at once for a node this mesh has no connection to.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<bool> WaitConnectedAsync(string nodeId, TimeSpan timeout, CancellationToken cancellationToken) =>
        _peers.TryGetValue(nodeId, out var peer) ? peer.WaitConnectedAsync(timeout, cancellationToken) : Task.FromResult(false);

    /// <summary>The URL this node's connection to <paramref name="nodeId"/> uses, or null.</summary>
    public string? UrlOf(string nodeId) => _peers.TryGetValue(nodeId, out var peer) ? peer.Url : null;

    /// <summary>
    /// Opens (or replaces) the connection to <paramref name="nodeId"/> at <paramref name="url"/>; retried with backoff
    /// until it opens and re-opened after every drop. <paramref name="opened"/> runs after every (re)open.
    /// </summary>
    public void Connect(string nodeId, string url, Func<string, Task> opened)
    {
        var peer = new PeerConnection(nodeId, url, Self, () => _credentials.Create(Self, Incarnation, nodeId), _credentials.Time, _options, _logger,
            p => OnOpenedAsync(p, opened), OnDropped, _detector.Unreachable);
        if (_peers.TryGetValue(nodeId, out var old))
        {
            _ = old.DisposeAsync().AsTask();
        }

        _peers[nodeId] = peer;
        _ = peer.Open();
    }

    /// <summary>Closes and forgets the connection to <paramref name="nodeId"/> (removed, or left gracefully).</summary>
    public void Disconnect(string nodeId)
    {
        if (_peers.TryRemove(nodeId, out var gone))
        {
            _ = gone.DisposeAsync().AsTask();
        }
    }

    /// <summary>Sends to one peer without waiting for it; skipped when not connected (catch-up repairs what is lost).</summary>
    public Task SendAsync(string nodeId, string method, object arg, CancellationToken cancellationToken = default) =>
        _peers.TryGetValue(nodeId, out var peer) ? peer.SendAsync(method, arg, cancellationToken) : Task.CompletedTask;

    /// <summary>Sends to every peer; completes when every send was handed to its connection.</summary>
    public Task BroadcastAsync(string method, object arg, CancellationToken cancellationToken = default) =>
        Task.WhenAll(_peers.Values.Select(p => p.SendAsync(method, arg, cancellationToken)));

    /// <summary>
    /// One request/response call to a connected peer's hub, given up after <paramref name="timeout"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: only <paramref name="cancellationToken"/> ends it). Returns the reply, or
    /// null with the error when the call failed or timed out; (null, null) when the peer is not connected.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<(T? Reply, Exception? Error)> InvokeAsync<T>(string nodeId, string method, object arg, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class => InvokeCoreAsync<T>(nodeId, method, [arg], timeout, cancellationToken);

    /// <summary>
    /// As <see cref="InvokeAsync{T}(string, string, object, TimeSpan, CancellationToken)"/>, with the hub method's argument
    /// list (none included). Named apart from it on purpose, as SignalR does: an overload taking <c>object?[]</c> caught one
    /// argument that was itself an array (a batch of records) and sent its items as the argument list.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<(T? Reply, Exception? Error)> InvokeCoreAsync<T>(string nodeId, string method, object?[] args, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        if (!_peers.TryGetValue(nodeId, out var peer) || !peer.IsConnected)
        {
            return (null, null);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var reply = await peer.Hub.InvokeCoreAsync<T>(method, args, deadline.Token);
            _calls?.Record(method, replied: true, Stopwatch.GetElapsedTime(started));
            return (reply, null);
        }
        catch (Exception ex) when (IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            _calls?.Record(method, replied: false, Stopwatch.GetElapsedTime(started));
            return (null, ex);
        }
    }

    /// <summary>
    /// As <see cref="InvokeAsync{T}(string, string, object, TimeSpan, CancellationToken)"/>, but a connection to
    /// <paramref name="nodeId"/> that is still being opened is waited for within the same <paramref name="timeout"/>. For
    /// calls meant for that node (a claim's owner, the membership authority, the node whose turn an offer is): right after a node joins or restarts,
    /// it is Up in this view (heard over its own connection to this node) a moment before this node's connection back to it
    /// is open, and failing at once would answer the user 503 for nothing.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<(T? Reply, Exception? Error)> InvokeWhenConnectedAsync<T>(string nodeId, string method, object arg, TimeSpan timeout,
        CancellationToken cancellationToken)
        where T : class
    {
        var started = Stopwatch.GetTimestamp();
        if (!await WaitConnectedAsync(nodeId, timeout, cancellationToken))
        {
            return (null, null);
        }

        var rest = timeout - Stopwatch.GetElapsedTime(started);
        return await InvokeAsync<T>(nodeId, method, arg, rest > TimeSpan.FromMilliseconds(1) ? rest : TimeSpan.FromMilliseconds(1), cancellationToken);
    }

    /// <summary>
    /// Calls <paramref name="method"/> on every connected peer at once, each call bounded by <paramref name="timeout"/>,
    /// and hands each reply to <paramref name="onReply"/> as it arrives. With <paramref name="skipBusy"/> a peer whose
    /// previous such call is still in flight is skipped this round (a frozen peer does not pile up calls: heartbeats).
    /// Completes when every call ended.
    /// </summary>
    public Task InvokeEachAsync<T>(string method, object arg, TimeSpan timeout, Action<string, T> onReply, bool skipBusy)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(onReply);
        var calls = new List<Task>();
        foreach (var peer in _peers.Values)
        {
            if (!peer.IsConnected || (skipBusy && !peer.TryBeginHeartbeat()))
            {
                continue;
            }

            calls.Add(CallAsync(peer));
        }

        return Task.WhenAll(calls);

        async Task CallAsync(PeerConnection peer)
        {
            try
            {
                var (reply, error) = await InvokeAsync<T>(peer.NodeId, method, arg, timeout, CancellationToken.None);
                if (reply is not null)
                {
                    onReply(peer.NodeId, reply);
                }
                else if (error is not null)
                {
                    LogCallFailed(peer.NodeId, method, error.Message);
                }
            }
            finally
            {
                if (skipBusy)
                {
                    peer.EndHeartbeat();
                }
            }
        }
    }

    /// <summary>A server-to-client stream from a peer's hub (catch-up snapshots), with the method's arguments.</summary>
    /// <exception cref="InvalidOperationException">The peer has no connection.</exception>
    public IAsyncEnumerable<T> StreamAsync<T>(string nodeId, string method, params object?[] args) =>
        _peers.TryGetValue(nodeId, out var peer)
            ? peer.Hub.StreamAsyncCore<T>(method, args, CancellationToken.None)
            : throw new InvalidOperationException($"No backplane connection to {nodeId}.");

    /// <summary>Opens a short-lived connection to <paramref name="url"/> and exchanges <c>Hello</c> (seed join, adding a node).</summary>
    /// <exception cref="HttpRequestException">The URL cannot be reached.</exception>
    /// <exception cref="TimeoutException">The node did not answer within <c>Cluster:HelloTimeout</c>.</exception>
    public async Task<HelloReply> HelloOnceAsync(string url, HelloRequest hello, CancellationToken cancellationToken)
    {
        await using var hub = new HubConnectionBuilder()
            .WithUrl($"{url.TrimEnd('/')}/hubs/backplane", Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets, o =>
            {
                o.SkipNegotiation = true;
                o.Headers[PeerCredentials.NodeHeader] = Self;
                o.WebSocketFactory = (context, ct) => PeerRefusal.ConnectAsync(context, _credentials.Time, _options.PeerClockSkew, ct);

                // A join credential: the node behind the URL is not known yet, so it is good for Hello only (docs/identity.md).
                o.Headers[PeerCredentials.AuthHeader] = _credentials.Create(Self, Incarnation, targetNodeId: null);
            }).Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.HelloTimeout);
        try
        {
            await hub.StartAsync(timeout.Token);
            return await hub.InvokeAsync<HelloReply>(BackplaneMethods.Hello, hello, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{url} did not answer the backplane within {_options.HelloTimeout.TotalSeconds:0.###} s (Cluster:HelloTimeout).");
        }
    }

    /// <summary>
    /// Re-checks <paramref name="nodeId"/> at once with a TCP connect to its URL: a refusal within <c>Cluster:ProbeTimeout</c>
    /// is evidence the process is gone; anything else is not evidence either way (the heartbeat timeout decides).
    /// </summary>
    public async Task ProbeAsync(string nodeId)
    {
        if (UrlOf(nodeId) is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return;
        }

        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(_options.ProbeTimeout);
        try
        {
            await tcp.ConnectAsync(uri.Host, uri.Port, timeout.Token);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            _detector.Unreachable(nodeId);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // Not evidence either way.
        }
    }

    /// <summary>
    /// What a call to a peer throws when the peer or the connection fails (not a bug here): a hub error, a
    /// broken socket or WebSocket (<see cref="System.Net.WebSockets.WebSocketException"/> is not an
    /// <see cref="IOException"/>: a peer dying mid-call threw it out of a graceful leave), a closed
    /// connection, a timeout.
    /// </summary>
    public static bool IsConnectionFailure(Exception ex) =>
        ex is HubException or IOException or System.Net.WebSockets.WebSocketException or HttpRequestException
            or InvalidOperationException or OperationCanceledException or TimeoutException;

    /// <summary>
    /// The reason a peer's hub gave in a <see cref="HubException"/>, without SignalR's "An unexpected error occurred
    /// invoking '…' on the server. HubException: " in front of it.
    /// </summary>
    public static string ServerReason(HubException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        const string marker = "HubException: ";
        var at = ex.Message.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? ex.Message : ex.Message[(at + marker.Length)..];
    }

    /// <summary>Closes every connection (again when the container disposes the mesh after the node stopped: a no-op then).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var nodeId in _peers.Keys)
        {
            if (_peers.TryRemove(nodeId, out var peer))
            {
                await peer.DisposeAsync();
            }
        }
    }

    private async Task OnOpenedAsync(PeerConnection peer, Func<string, Task> opened)
    {
        _detector.ConnectionRestored(peer.NodeId);
        LogPeerConnected(Self, peer.NodeId);
        await opened(peer.NodeId);
    }

    private void OnDropped(string nodeId)
    {
        _detector.ConnectionDropped(nodeId);
        _ = ProbeAsync(nodeId);
    }

    [LoggerMessage(EventId = LogEvents.CallFailed, Level = LogLevel.Debug, Message = "Call {Method} to peer {PeerId} failed: {Reason}")]
    private partial void LogCallFailed(string peerId, string method, string reason);

    [LoggerMessage(EventId = LogEvents.PeerConnected, Level = LogLevel.Information, Message = "{NodeId} connected to peer {PeerId}")]
    private partial void LogPeerConnected(string nodeId, string peerId);
}
