using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using ClusterEngine.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// Anti-entropy between the assignment tables of Up nodes (docs/recovery.md): every <c>Status</c> carries the sender's
/// table digest (<see cref="ClusterSnapshot.Digest"/>, kept incrementally: XOR of a hash of client id and version per live
/// assignment). When a peer's digest has differed from this node's for longer than <c>Cluster:AntiEntropyDelay</c> —
/// longer than deltas in flight take — this node asks the peer for its 256 bucket digests, pulls only the assignments of
/// the buckets that differ (removals included) and merges them by version (patent Fig. 7: a role a newer assignment gives
/// to another node is dropped). The peer does the same the other way, so both end with the newer of every assignment.
/// A pull that changed nothing doubles the wait before the next one from that peer (up to 64 times the delay).
/// </summary>
public sealed partial class AntiEntropy
{
    private readonly ClusterNode _node;
    private readonly PeerMesh _mesh;
    private readonly LocalNodeStatus _self;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, PeerState> _peers = new(StringComparer.Ordinal);

    /// <summary>Creates the anti-entropy of <paramref name="node"/>.</summary>
    public AntiEntropy(ClusterNode node, PeerMesh mesh, LocalNodeStatus self, IOptions<ClusterOptions> options, TimeProvider time, ILogger<AntiEntropy> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_node, _mesh, _self, _options, _time, _logger) = (node, mesh, self, options.Value, time, logger);
    }

    private ClusterState State => _node.State;

    /// <summary>A peer's status named its table digest: compare, and pull the difference once it has lasted.</summary>
    public void OnPeerDigest(string peerNodeId, long digest, int clientCount)
    {
        var peer = _peers.GetOrAdd(peerNodeId, _ => new PeerState());
        var snapshot = State.Snapshot;
        var now = _time.GetTimestamp();
        lock (peer)
        {
            if (digest == snapshot.Digest && clientCount == snapshot.ClientCount)
            {
                peer.DifferentSince = 0;
                return;
            }

            if (peer.DifferentSince == 0)
            {
                peer.DifferentSince = now;
            }

            var due = _time.GetElapsedTime(peer.DifferentSince, now) >= _options.AntiEntropyDelay
                && (peer.LastPull == 0 || _time.GetElapsedTime(peer.LastPull, now) >= _options.AntiEntropyDelay * peer.Backoff);
            if (!due || peer.Pulling || _self.State != NodeState.Up || !_mesh.IsConnected(peerNodeId))
            {
                return;
            }

            (peer.Pulling, peer.LastPull) = (true, now);
        }

        _ = PullAsync(peerNodeId, peer);
    }

    /// <summary>
    /// <paramref name="peerNodeId"/>'s connection to this node (re)opened. The peer sends its assignment changes over that
    /// connection only, so what it decided while it was closed is lost here and no digest delay will bring it: an Up node
    /// pulls the differing buckets now (a joining node catches up anyway; see <see cref="CatchUpLedger"/>). When this node's
    /// own connection to the peer is not open yet, the catch-up that runs when it opens pulls the peer's whole table.
    /// </summary>
    public void OnInboundOpened(string peerNodeId)
    {
        var peer = _peers.GetOrAdd(peerNodeId, _ => new PeerState());
        lock (peer)
        {
            if (peer.Pulling || _self.State != NodeState.Up || !_mesh.IsConnected(peerNodeId))
            {
                return;
            }

            (peer.Pulling, peer.LastPull) = (true, _time.GetTimestamp());
        }

        _ = PullAsync(peerNodeId, peer);
    }

    /// <summary><c>DigestBuckets</c>: this node's digest per bucket of client ids.</summary>
    public long[] DigestBuckets() => State.DigestBuckets();

    /// <summary><c>SnapshotBuckets</c>: every assignment of the given buckets (removals included), in batches.</summary>
    /// <exception cref="Microsoft.AspNetCore.SignalR.HubException">A bucket number is out of range, or repeated past the bucket count.</exception>
    public async IAsyncEnumerable<AssignmentDelta[]> SnapshotBuckets(int[] buckets, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (buckets is null || buckets.Length > ClusterState.DigestBucketCount || buckets.Any(b => b < 0 || b >= ClusterState.DigestBucketCount))
        {
            throw new Microsoft.AspNetCore.SignalR.HubException($"buckets must be at most {ClusterState.DigestBucketCount} numbers from 0 to {ClusterState.DigestBucketCount - 1}.");
        }

        foreach (var chunk in State.AssignmentsInBuckets(buckets.ToHashSet()).Chunk(BackplaneMethods.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return chunk;
            await Task.Yield();
        }
    }

    private async Task PullAsync(string peerNodeId, PeerState peer)
    {
        var (merged, dropped) = (0, 0);
        try
        {
            var (theirs, error) = await _mesh.InvokeCoreAsync<long[]>(peerNodeId, BackplaneMethods.DigestBuckets, [], _options.HelloTimeout, CancellationToken.None);
            var ours = State.DigestBuckets();
            if (theirs is null || theirs.Length != ours.Length)
            {
                LogPullFailed(_node.NodeId, peerNodeId, error?.Message ?? "no bucket digests");
                return;
            }

            var differing = Enumerable.Range(0, ours.Length).Where(b => ours[b] != theirs[b]).ToArray();
            if (differing.Length > 0)
            {
                await foreach (var batch in _mesh.StreamAsync<AssignmentDelta[]>(peerNodeId, BackplaneMethods.SnapshotBuckets, differing))
                {
                    var result = State.Reconcile(batch ?? []);
                    (merged, dropped) = (merged + result.Applied, dropped + result.DroppedPrimaries.Count + result.DroppedAlternates.Count);
                    if (result.Applied > 0)
                    {
                        _node.Publish(batch!, local: false);
                    }
                }
            }

            LogPulled(_node.NodeId, peerNodeId, differing.Length, merged);
            if (merged > 0)
            {
                _node.Publish(new Reconciled(_node.NodeId, peerNodeId, merged, dropped, 0));
            }
        }
        catch (Exception ex) when (PeerMesh.IsConnectionFailure(ex))
        {
            LogPullFailed(_node.NodeId, peerNodeId, ex.Message);
        }
        finally
        {
            lock (peer)
            {
                peer.Pulling = false;
                peer.Backoff = merged > 0 ? 1 : Math.Min(peer.Backoff * 2, 64);
            }
        }
    }

    private sealed class PeerState
    {
        public long DifferentSince;
        public long LastPull;
        public bool Pulling;
        public int Backoff = 1;
    }

    [LoggerMessage(EventId = LogEvents.Pulled, Level = LogLevel.Information, Message = "{NodeId} anti-entropy with {PeerId}: {Buckets} bucket(s) differed, {Merged} assignment(s) merged")]
    private partial void LogPulled(string nodeId, string peerId, int buckets, int merged);

    [LoggerMessage(EventId = LogEvents.PullFailed, Level = LogLevel.Debug, Message = "{NodeId} anti-entropy with {PeerId} failed: {Reason}")]
    private partial void LogPullFailed(string nodeId, string peerId, string reason);
}
