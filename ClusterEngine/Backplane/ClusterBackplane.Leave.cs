using ClusterEngine.Membership;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane
{
    private int _stopping;

    /// <summary>
    /// Graceful leave on shutdown (SIGTERM; DESIGN.md §7): this node turns <c>Leaving</c>, hands each
    /// of its clients to its alternate (which becomes primary with a new alternate, patent Fig. 6
    /// steps 670–680), makes sure peers have those changes, then closes its connections.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        if (_selfState == NodeState.Up && _peers.Values.Any(p => p.IsConnected))
        {
            // The leave is bounded by its own deadline: a host that passes an already-cancelled token still hands its clients over.
            SetSelf(NodeState.Leaving);
            await BroadcastStatusAsync(CancellationToken.None);
            var handed = State.FailOverNode(Self);
            _node.Publish(handed, local: true);
            LogHandedOver(Self, handed.Count);
            await DrainOutboxAsync();
            SetSelf(NodeState.Left);
            await BroadcastStatusAsync(CancellationToken.None);
        }

        await base.StopAsync(cancellationToken);
        foreach (var peer in _peers.Values)
        {
            await peer.DisposeAsync();
        }

        _peers.Clear();
    }

    /// <summary>Waits (bounded) until every queued delta has been handed to the peers' connections.</summary>
    private async Task DrainOutboxAsync()
    {
        var started = _time.GetTimestamp();
        while (_outbox.Reader.Count > 0 && _time.GetElapsedTime(started) < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10);
        }

        await Task.Delay(50); // the send loop's last batch is in flight
    }
}
