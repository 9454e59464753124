using System.Collections.Concurrent;
using ClusterEngine.Changes;

namespace ClusterEngine.Membership;

/// <summary>
/// A cancellation per peer that fires when this node's view declares the peer gone (<c>Down</c> by the health
/// monitor's verdict or a request's evidence, or <c>Left</c>): fed by the change stream, so work that waits on a peer
/// (a forwarded request to a peer that stopped answering, patent Fig. 6) ends at the verdict instead of polling the view.
/// Thread-safe; costs nothing per request beyond one dictionary lookup.
/// </summary>
/// <param name="state">This node's view, read once per <see cref="WhenGone"/> to catch a verdict that came first.</param>
public sealed class PeerGoneSignal(ClusterState state) : IClusterChangeObserver
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _signals = new(StringComparer.Ordinal);

    /// <summary>
    /// A token cancelled once <paramref name="nodeId"/> is gone in this node's view; already cancelled when it is gone
    /// (or unknown) now. A peer that comes back gets a fresh token for the next caller.
    /// </summary>
    /// <param name="nodeId">The peer.</param>
    /// <returns>The token.</returns>
    public CancellationToken WhenGone(string nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        var signal = _signals.GetOrAdd(nodeId, static _ => new CancellationTokenSource());

        // After the lookup: a verdict applied before it is seen here, one applied after it cancels this signal.
        if (IsGone(state.Members.StateOf(nodeId)))
        {
            Fire(nodeId);
        }

        return signal.Token;
    }

    /// <inheritdoc />
    public void OnChange(ClusterChange change)
    {
        switch (change)
        {
            case NodeStateChanged { State: var s } changed when IsGone(s):
                Fire(changed.NodeId);
                break;
            case MemberChanged { Record.Removed: true } removed:
                Fire(removed.Record.NodeId);
                break;
        }
    }

    private static bool IsGone(NodeState? state) => state is null or NodeState.Down or NodeState.Left;

    private void Fire(string nodeId)
    {
        if (_signals.TryRemove(nodeId, out var signal))
        {
            signal.Cancel();
        }
    }
}
