using ClusterEngine.Placement;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Backplane;

/// <summary>
/// Tells each client's other role holders when this node last saw it (docs/architecture.md §5, "Idle clients"): every
/// idle-expiry period (<see cref="IdleClientExpiry.PeriodFor"/>: a tenth of <c>Cluster:ClientIdleTimeout</c>, at most a
/// minute) it takes the last-seen times moved here (<see cref="ClusterState.TakeSeen"/>) and sends them as
/// <c>ClientsSeen</c> batches (<see cref="BackplaneMethods.BatchSize"/> entries at most) to the client's primary and
/// alternate. The primary's notes let the alternate that a failover promotes count idleness from the client's last
/// request instead of from its placement; a session renewed at a third node reaches both. A client that got a new holder
/// here (a failover, a role repair, a hand-over) is sent at once, not at the next period.
/// </summary>
/// <remarks>
/// Fire and forget, as assignment broadcasts: a note lost with a connection only makes the receiver's time older than the
/// truth, by at most one period more. The <see cref="NodeLifecycle"/> starts it with the idle expiry and, on SIGTERM, stops
/// it before the graceful leave and sends what is left after it — the hand-over's new primaries and alternates included.
/// </remarks>
/// <param name="state">This node's view (the queued times).</param>
/// <param name="mesh">The peer connections.</param>
/// <param name="options"><c>Cluster:ClientIdleTimeout</c> (the period).</param>
/// <param name="time">The clock of the period.</param>
/// <param name="logger">A failed pass.</param>
internal sealed partial class ClientSeenRelay(ClusterState state, PeerMesh mesh, IOptions<ClusterOptions> options, TimeProvider time, ILogger<ClientSeenRelay> logger)
    : BackgroundService
{
    /// <summary>Sends the queued last-seen times now; completes when every batch was handed to its connection.</summary>
    /// <returns>How many notes were taken.</returns>
    public async Task<int> RelayAsync(CancellationToken cancellationToken)
    {
        var notes = state.TakeSeen();
        if (notes.Count == 0)
        {
            return 0;
        }

        var sends = new List<Task>();
        foreach (var (nodeId, batch) in ByNode(notes))
        {
            sends.Add(mesh.SendAsync(nodeId, BackplaneMethods.ClientsSeen, batch, cancellationToken));
        }

        await Task.WhenAll(sends);
        return notes.Count;
    }

    /// <summary><see cref="RelayAsync"/>, a failure logged instead of thrown (a failed pass must not stop the host or its leave).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RelayAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRelayFailed(logger, ex);
        }
    }

    /// <summary>The notes grouped by the node to tell, in batches of at most <see cref="BackplaneMethods.BatchSize"/>.</summary>
    internal static IEnumerable<(string NodeId, ClientSeen[] Batch)> ByNode(IReadOnlyList<SeenNote> notes)
    {
        var byNode = new Dictionary<string, List<ClientSeen>>(StringComparer.Ordinal);
        foreach (var note in notes)
        {
            foreach (var nodeId in (ReadOnlySpan<string?>)[note.Primary, note.Alternate])
            {
                if (nodeId is not null)
                {
                    (byNode.TryGetValue(nodeId, out var list) ? list : byNode[nodeId] = []).Add(note.Seen);
                }
            }
        }

        foreach (var (nodeId, list) in byNode)
        {
            foreach (var chunk in list.Chunk(BackplaneMethods.BatchSize))
            {
                yield return (nodeId, chunk);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(IdleClientExpiry.PeriodFor(options.Value.ClientIdleTimeout), time);
        try
        {
            var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
            while (true)
            {
                // The period, or at once when a client got a new holder here (ClusterState.SeenUrgent).
                await Task.WhenAny(tick, state.SeenUrgent.WaitAsync(stoppingToken));
                stoppingToken.ThrowIfCancellationRequested();
                if (tick.IsCompleted)
                {
                    if (!await tick)
                    {
                        return;
                    }

                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                }

                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping: the lifecycle sends what is left.
        }
    }

    [LoggerMessage(EventId = LogEvents.SeenRelayFailed, Level = LogLevel.Warning, Message = "Sending clients' last-seen times to their role holders failed; the next period sends what moves then")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
