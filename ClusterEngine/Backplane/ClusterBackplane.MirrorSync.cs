using ClusterEngine.Mirroring.Sync;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane : IMirrorSyncTransport
{
    private static readonly TimeSpan s_mirrorSyncTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// <c>MirrorSync</c> (DESIGN.md §7, §8): sends a batch of mirror snapshots to the alternate <paramref name="nodeId"/>
    /// over this node's connection to it and waits (at most 2 s) for its acknowledgements.
    /// </summary>
    /// <param name="nodeId">The alternate.</param>
    /// <param name="batch">The batch (below <see cref="BackplaneMethods.MirrorSyncMaxBytes"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The answer, or <see langword="null"/> when the peer is not connected or did not answer in time.</returns>
    public async Task<MirrorSyncReply?> SendMirrorSyncAsync(string nodeId, MirrorSyncBatch batch, CancellationToken cancellationToken)
    {
        var (reply, error) = await InvokePeerAsync<MirrorSyncReply>(nodeId, BackplaneMethods.MirrorSync, batch, s_mirrorSyncTimeout, cancellationToken);
        if (error is not null)
        {
            LogSendFailed(nodeId, error.Message);
        }

        return reply;
    }
}
