using ClusterEngine.Mirroring.Sync;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Backplane;

/// <summary>
/// <c>MirrorSync</c> over the backplane: a batch of mirror snapshots to the alternate over this node's connection to
/// it; the wait for the acknowledgements ends with the caller's token (the synchronizer's <c>Mirror:SyncAckTimeout</c>).
/// </summary>
/// <param name="mesh">The peer connections.</param>
/// <param name="logger">Logger.</param>
public sealed partial class BackplaneMirrorSyncTransport(PeerMesh mesh, ILogger<BackplaneMirrorSyncTransport> logger) : IMirrorSyncTransport
{
    /// <inheritdoc />
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended the wait.</exception>
    public async Task<MirrorSyncReply?> SendMirrorSyncAsync(string nodeId, MirrorSyncBatch batch, CancellationToken cancellationToken)
    {
        var (reply, error) = await mesh.InvokeAsync<MirrorSyncReply>(nodeId, BackplaneMethods.MirrorSync, batch, Timeout.InfiniteTimeSpan, cancellationToken);
        if (error is not null)
        {
            LogSendFailed(nodeId, error.Message);
        }

        return reply;
    }

    [LoggerMessage(EventId = LogEvents.SendFailed, Level = LogLevel.Debug, Message = "Mirror sync call to {PeerId} failed: {Reason}")]
    private partial void LogSendFailed(string peerId, string reason);
}
