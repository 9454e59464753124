using ClusterEngine.Backplane;

namespace ClusterEngine.Mirroring.Sync;

/// <summary>Carries a <c>MirrorSync</c> batch to a peer and returns its answer (the backplane; a direct call in tests).</summary>
public interface IMirrorSyncTransport
{
    /// <summary>Sends <paramref name="batch"/> to <paramref name="nodeId"/> and waits for its acknowledgements.</summary>
    /// <param name="nodeId">The alternate.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The answer, or <see langword="null"/> when the peer could not be reached or did not answer in time.</returns>
    Task<MirrorSyncReply?> SendMirrorSyncAsync(string nodeId, MirrorSyncBatch batch, CancellationToken cancellationToken);
}
