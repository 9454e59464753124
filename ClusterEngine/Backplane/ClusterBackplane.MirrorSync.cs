using ClusterEngine.Mirroring.Sync;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane : IMirrorSyncTransport
{
    /// <summary>
    /// <c>MirrorSync</c> (DESIGN.md §7, §8): sends a batch of mirror snapshots to the alternate <paramref name="nodeId"/>
    /// over this node's connection to it and waits for its acknowledgements until <paramref name="cancellationToken"/> ends the wait
    /// (the synchronizer's <see cref="Mirroring.MirrorOptions.SyncAckTimeout"/>).
    /// </summary>
    /// <param name="nodeId">The alternate.</param>
    /// <param name="batch">The batch (below <see cref="BackplaneMethods.MirrorSyncMaxBytes"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The answer, or <see langword="null"/> when the peer is not connected or the call failed.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended the wait.</exception>
    public async Task<MirrorSyncReply?> SendMirrorSyncAsync(string nodeId, MirrorSyncBatch batch, CancellationToken cancellationToken)
    {
        var (reply, error) = await InvokePeerAsync<MirrorSyncReply>(nodeId, BackplaneMethods.MirrorSync, batch, Timeout.InfiniteTimeSpan, cancellationToken);
        if (error is not null)
        {
            LogSendFailed(nodeId, error.Message);
        }

        return reply;
    }
}
