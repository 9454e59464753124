using ClusterEngine.Backplane;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Graceful leave on shutdown (SIGTERM; docs/recovery.md): this node turns <c>Leaving</c> and says so — it keeps serving
/// its clients, and peers keep sending them to it — prepares the hand-over (mirrors synced to the alternates), and for
/// <c>Cluster:LeaveGrace</c> listens for which other nodes are leaving too. Then it hands each of its clients to its
/// alternate (which becomes primary with a new alternate, patent Fig. 6, steps 670–680), or anew to a node that stays,
/// and keeps the roles no staying node can take (<see cref="ClusterState.HandOver"/>): when every node is stopped at
/// once, no client is handed to a node that is leaving too, and after the restart every client is where it was. It makes
/// sure peers have those changes, then turns <c>Left</c>. Runs once; bounded by its own deadlines, so a host that passes
/// an already-cancelled token still hands its clients over.
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
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _leaving;

    /// <summary>Creates the leave of <paramref name="node"/>.</summary>
    public GracefulLeave(ClusterNode node, LocalNodeStatus self, PeerMesh mesh, ClusterHealthMonitor health, BackplaneOutbox outbox,
        IEnumerable<IHandOverPreparation> preparations, IOptions<ClusterOptions> options, TimeProvider time, ILogger<GracefulLeave> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _self, _mesh, _health, _outbox) = (node, self, mesh, health, outbox);
        (_preparations, _options, _time, _logger) = ([.. preparations], options.Value, time, logger);
    }

    /// <summary>
    /// The host is stopping (SIGTERM; <c>IHostApplicationLifetime.ApplicationStopping</c>): an Up node turns
    /// <c>Leaving</c> at once, so it decides no failover from here on. This comes before the hosted services' stopping
    /// calls on purpose: the stopping host's SignalR server closes every backplane connection of its peers at this moment,
    /// and when every node is stopped at once each one sees all its peers drop — a node still Up then failed its peers'
    /// clients over while stopping itself (found by the full-restart test: after the restart every primary sat on one node).
    /// Idempotent; cheap enough for a cancellation callback.
    /// </summary>
    public void Begin()
    {
        if (Interlocked.Exchange(ref _begun, 1) == 0 && _self.State == NodeState.Up && !_self.Removed)
        {
            _wasUp = true;
            _self.Set(NodeState.Leaving);
        }
    }

    private int _begun;
    private volatile bool _wasUp;

    /// <summary>
    /// Leaves the cluster (once; later calls return at once). Does nothing unless this node was Up when stopping began.
    /// With no open connection to any peer (every peer is stopping too, or gone) it hands nothing over: it keeps its roles
    /// and says Left, so a full stop ends where it was.
    /// </summary>
    public async Task LeaveAsync()
    {
        if (Interlocked.Exchange(ref _leaving, 1) != 0)
        {
            return;
        }

        Begin();
        if (!_wasUp)
        {
            return;
        }

        if (!_mesh.ConnectedPeers.Any())
        {
            var self = _node.State.Snapshot.Get(_node.NodeId);
            LogHandedOver(_node.NodeId, 0, (self?.PrimaryCount ?? 0) + (self?.AlternateCount ?? 0));
            _self.Set(NodeState.Left);
            return;
        }

        var started = _time.GetTimestamp();
        await BroadcastAsync();
        await PrepareHandOverAsync();
        var rest = _options.LeaveGrace - _time.GetElapsedTime(started);
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, _time); // the other nodes' Leaving statuses arrive meanwhile
            await PrepareHandOverAsync(); // and what this node served meanwhile: without it, a device answered in the grace
                                          // carried a sequence its new primary never got and lost its mirror (rolling-restart trial)
        }

        var (handed, kept) = _node.State.HandOver(_node.NodeId);
        _node.Publish(handed, local: true);
        LogHandedOver(_node.NodeId, handed.Count, kept);
        if (!await _outbox.DrainAsync(_options.DrainTimeout))
        {
            LogDrainTimedOut(_node.NodeId, _options.DrainTimeout.TotalMilliseconds);
        }
        _self.Set(NodeState.Left);
        await BroadcastAsync();
    }

    private async Task BroadcastAsync()
    {
        try
        {
            await _health.BroadcastStatusAsync(CancellationToken.None);
        }
        catch (Exception ex) when (PeerMesh.IsConnectionFailure(ex))
        {
            LogPreparationFailed(_node.NodeId, ex.Message);
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

    [LoggerMessage(EventId = LogEvents.HandedOver, Level = LogLevel.Information, Message = "{NodeId} is leaving: handed {Changes} assignments over, kept {Kept} role(s) no staying node could take")]
    private partial void LogHandedOver(string nodeId, int changes, int kept);

    [LoggerMessage(EventId = LogEvents.DrainTimedOut, Level = LogLevel.Warning, Message = "{NodeId} is leaving: its hand-over was not all sent to the peers within Cluster:DrainTimeout ({TimeoutMs} ms); they learn the rest by catch-up")]
    private partial void LogDrainTimedOut(string nodeId, double timeoutMs);

    [LoggerMessage(EventId = LogEvents.PreparationFailed, Level = LogLevel.Debug, Message = "{NodeId}: preparing the hand-over failed: {Reason}")]
    private partial void LogPreparationFailed(string nodeId, string reason);
}
