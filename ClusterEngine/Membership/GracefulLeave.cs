using ClusterEngine.Backplane;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Graceful leave on shutdown (SIGTERM): this node prepares the hand-over (mirrors synced), turns <c>Leaving</c>, hands
/// each of its clients to its alternate (which becomes primary with a new alternate, patent Fig. 6, steps 670–680),
/// makes sure peers have those changes, then turns <c>Left</c>. Runs once; bounded by its own deadlines, so a host that
/// passes an already-cancelled token still hands its clients over.
/// </summary>
public sealed partial class GracefulLeave
{
    private readonly ClusterNode _node;
    private readonly LocalNodeStatus _self;
    private readonly PeerMesh _mesh;
    private readonly ClusterHealthMonitor _health;
    private readonly BackplaneOutbox _outbox;
    private readonly IHandOverPreparation[] _preparations;
    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private int _leaving;

    /// <summary>Creates the leave of <paramref name="node"/>.</summary>
    public GracefulLeave(ClusterNode node, LocalNodeStatus self, PeerMesh mesh, ClusterHealthMonitor health, BackplaneOutbox outbox,
        IEnumerable<IHandOverPreparation> preparations, IOptions<ClusterOptions> options, ILogger<GracefulLeave> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _self, _mesh, _health, _outbox) = (node, self, mesh, health, outbox);
        (_preparations, _options, _logger) = ([.. preparations], options.Value, logger);
    }

    /// <summary>Leaves the cluster (once; later calls return at once). Does nothing unless this node is Up with a connected peer.</summary>
    public async Task LeaveAsync()
    {
        if (Interlocked.Exchange(ref _leaving, 1) != 0)
        {
            return;
        }

        if (_self.State == NodeState.Up && _mesh.ConnectedPeers.Any())
        {
            // Mirrors first, while peers still see this node as the primary (a Leaving status makes them take over at once).
            await PrepareHandOverAsync();
            _self.Set(NodeState.Leaving);
            await _health.BroadcastStatusAsync(CancellationToken.None);
            var handed = _node.State.FailOverNode(_node.NodeId);
            _node.Publish(handed, local: true);
            LogHandedOver(_node.NodeId, handed.Count);
            await _outbox.DrainAsync(_options.DrainTimeout);
            _self.Set(NodeState.Left);
            await _health.BroadcastStatusAsync(CancellationToken.None);
        }
    }

    private async Task PrepareHandOverAsync()
    {
        using var timeout = new CancellationTokenSource(_options.HandOverTimeout);
        foreach (var preparation in _preparations)
        {
            try
            {
                await preparation.PrepareAsync(timeout.Token);
            }
            catch (Exception ex) when (PeerMesh.IsConnectionFailure(ex))
            {
                LogPreparationFailed(_node.NodeId, ex.Message); // hand over anyway: the alternates serve, with whatever mirror they have
            }
        }
    }

    [LoggerMessage(EventId = 2110, Level = LogLevel.Information, Message = "{NodeId} is leaving: handed {Changes} assignments to alternates")]
    private partial void LogHandedOver(string nodeId, int changes);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Debug, Message = "{NodeId}: preparing the hand-over failed: {Reason}")]
    private partial void LogPreparationFailed(string nodeId, string reason);
}
