using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Backplane;

/// <summary>
/// This node's client connection to one peer's <c>/hubs/backplane</c>: opened with retries until it
/// succeeds, re-opened after every drop, reporting drops, refusals and recoveries to the mesh.
/// </summary>
internal sealed partial class PeerConnection : IAsyncDisposable
{
    private readonly HubConnection _hub;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Func<PeerConnection, Task> _onOpened;
    private readonly Action<string> _onDropped;
    private readonly Action<string> _onRefused;
    private readonly ClusterOptions _options;
    private Task? _opening;
    private int _disposed;

    // credential: makes a fresh credential for each connection attempt (a credential is good once).
    public PeerConnection(string nodeId, string url, string selfId, Func<string> credential, TimeProvider time, ClusterOptions options, ILogger logger,
        Func<PeerConnection, Task> onOpened, Action<string> onDropped, Action<string> onRefused)
    {
        NodeId = nodeId;
        Url = url;
        _logger = logger;
        _onOpened = onOpened;
        _onDropped = onDropped;
        _onRefused = onRefused;
        _options = options;
        _hub = new HubConnectionBuilder()
            .WithUrl($"{url.TrimEnd('/')}/hubs/backplane", HttpTransportType.WebSockets, o =>
            {
                o.SkipNegotiation = true;
                o.Headers[PeerCredentials.NodeHeader] = selfId;
                o.WebSocketFactory = (context, ct) => PeerRefusal.ConnectAsync(context, time, options.PeerClockSkew, ct); // a 401 says why

                // Called for every WebSocket the connection opens (the first start, each automatic reconnect).
                o.WebSocketConfiguration = socket => socket.SetRequestHeader(PeerCredentials.AuthHeader, credential());
            })
            .WithAutomaticReconnect(new PeerRetryPolicy(() => _onRefused(NodeId), options.PeerRetryBaseDelay, options.PeerRetryMaxDelay))
            .WithServerTimeout(options.PeerServerTimeout)
            .WithKeepAliveInterval(options.PeerKeepAliveInterval)
            .Build();
        _hub.Reconnecting += _ =>
        {
            Disconnected();
            if (!_stop.IsCancellationRequested)
            {
                _onDropped(NodeId);
            }

            return Task.CompletedTask;
        };
        _hub.Reconnected += _ =>
        {
            _connected.TrySetResult();
            return _onOpened(this);
        };
        _hub.Closed += _ =>
        {
            Disconnected();
            if (_stop.IsCancellationRequested)
            {
                return Task.CompletedTask; // replaced or disposed on purpose: not evidence about the peer
            }

            _onDropped(NodeId);
            return Open();
        };
    }

    public string NodeId { get; }

    public string Url { get; }

    public bool IsConnected => _hub.State == HubConnectionState.Connected;

    public HubConnection Hub => _hub;

    /// <summary>
    /// Waits until the connection is open, at most <paramref name="timeout"/>: true when it is. A connection that is being
    /// opened or re-opened (a peer that just joined or restarted) is worth a short wait; a dead peer costs the timeout.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<bool> WaitConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (IsConnected)
        {
            return true;
        }

        try
        {
            await _connected.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // not open within the timeout
        }

        return IsConnected;
    }

    /// <summary>The connection dropped or closed: waiters wait for the next open.</summary>
    private void Disconnected()
    {
        if (_connected.Task.IsCompleted)
        {
            _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private volatile TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Marks a heartbeat call to this peer as in flight; false when one already is (the caller skips this round).</summary>
    public bool TryBeginHeartbeat() => Interlocked.Exchange(ref _heartbeat, 1) == 0;

    /// <summary>The heartbeat call in flight ended.</summary>
    public void EndHeartbeat() => Volatile.Write(ref _heartbeat, 0);

    private int _heartbeat;

    /// <summary>Opens the connection in the background, retrying with backoff until it succeeds or the peer is disposed.</summary>
    public Task Open() => _opening = Task.Run(OpenLoop);

    private async Task OpenLoop()
    {
        for (var attempt = 0L; !_stop.IsCancellationRequested; attempt++)
        {
            try
            {
                await _hub.StartAsync(_stop.Token);
                _connected.TrySetResult();
                await _onOpened(this);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
            {
                if (PeerRetryPolicy.IsRefused(ex))
                {
                    _onRefused(NodeId);
                }

                if (ex is PeerRefusedException)
                {
                    LogRefusedByPeer(NodeId, ex.Message); // the peer is there and refuses this node: the operator's to fix
                }
                else
                {
                    LogConnectFailed(NodeId, ex.Message);
                }

                try
                {
                    await Task.Delay(PeerRetryPolicy.Delay(attempt + 1, _options.PeerRetryBaseDelay, _options.PeerRetryMaxDelay), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Sends without waiting for the peer; a send on a dropped connection is skipped (catch-up repairs it).</summary>
    public async Task SendAsync(string method, object arg, CancellationToken cancellationToken = default)
    {
        if (!IsConnected)
        {
            return;
        }

        try
        {
            await _hub.SendAsync(method, arg, cancellationToken);
        }
        catch (Exception ex) when (PeerMesh.IsConnectionFailure(ex))
        {
            LogSendFailed(NodeId, method, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return; // replaced or removed, and the mesh closes too: dispose once
        }

        await _stop.CancelAsync();
        try
        {
            await _hub.DisposeAsync();
            if (_opening is not null)
            {
                await _opening;
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _stop.Dispose();
    }

    [LoggerMessage(EventId = LogEvents.ConnectFailed, Level = LogLevel.Debug, Message = "Connecting to peer {NodeId} failed: {Reason}")]
    private partial void LogConnectFailed(string nodeId, string reason);

    [LoggerMessage(EventId = LogEvents.PeerRefusedThisNode, Level = LogLevel.Warning, Message = "Peer {NodeId} is up but refuses this node's connection: {Reason}")]
    private partial void LogRefusedByPeer(string nodeId, string reason);

    [LoggerMessage(EventId = LogEvents.PeerConnectionSendFailed, Level = LogLevel.Debug, Message = "Send {Method} to peer {NodeId} failed: {Reason}")]
    private partial void LogSendFailed(string nodeId, string method, string reason);
}
