using ClusterEngine.Membership;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane
{
    private int _stopping;
    private int _leaving;

    /// <summary>
    /// SIGTERM: the graceful leave runs here, before any hosted service stops. Found by the process
    /// failure tests: run from <see cref="StopAsync"/> it came after the web server had stopped, which
    /// waits up to the host's ShutdownTimeout (10 s) for the peers' long-lived backplane WebSockets; by
    /// then the peers had declared this node Down and failed its clients over themselves ("handed 0
    /// assignments"), so the leave was no better than a crash and took 10 s.
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => LeaveAsync();

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Closes the backplane after the leave (which normally already ran in <see cref="StoppingAsync"/>).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        await LeaveAsync();
        await base.StopAsync(cancellationToken);
        foreach (var peer in _peers.Values)
        {
            await peer.DisposeAsync();
        }

        _peers.Clear();
    }

    /// <summary>
    /// Graceful leave on shutdown (SIGTERM; DESIGN.md §7): this node turns <c>Leaving</c>, hands each
    /// of its clients to its alternate (which becomes primary with a new alternate, patent Fig. 6
    /// steps 670–680), makes sure peers have those changes, then turns <c>Left</c>. Runs once.
    /// </summary>
    private async Task LeaveAsync()
    {
        if (Interlocked.Exchange(ref _leaving, 1) != 0)
        {
            return;
        }

        if (_selfState == NodeState.Up && _peers.Values.Any(p => p.IsConnected))
        {
            // The leave is bounded by its own deadline: a host that passes an already-cancelled token still hands its clients over.
            // Mirrors first, while peers still see this node as the primary (a Leaving status makes them take over at once).
            await PrepareHandOverAsync();
            SetSelf(NodeState.Leaving);
            await BroadcastStatusAsync(CancellationToken.None);
            var handed = State.FailOverNode(Self);
            _node.Publish(handed, local: true);
            LogHandedOver(Self, handed.Count);
            await DrainOutboxAsync();
            SetSelf(NodeState.Left);
            await BroadcastStatusAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Run during a graceful leave before this node's clients are handed to their alternates (DESIGN.md §7: "its clients
    /// handed to their alternates with mirrors synced"); bounded by <see cref="ClusterOptions.HandOverTimeout"/>. Set by the mirror sync registration.
    /// </summary>
    public Func<CancellationToken, Task>? HandOverPreparation { get; set; }

    private async Task PrepareHandOverAsync()
    {
        if (HandOverPreparation is not { } prepare)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_options.HandOverTimeout);
        try
        {
            await prepare(timeout.Token);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            LogSendFailed(Self, ex.Message); // hand over anyway: the alternates serve, with whatever mirror they have
        }
    }

    /// <summary>Waits (bounded) until every queued delta has been handed to the peers' connections.</summary>
    private async Task DrainOutboxAsync()
    {
        var started = _time.GetTimestamp();
        while (_outbox.Reader.Count > 0 && _time.GetElapsedTime(started) < _options.DrainTimeout)
        {
            await Task.Delay(10);
        }

        await Task.Delay(50); // the send loop's last batch is in flight
    }
}
