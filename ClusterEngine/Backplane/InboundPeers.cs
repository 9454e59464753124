namespace ClusterEngine.Backplane;

/// <summary>
/// The peers' connections <em>to</em> this node's backplane hub (the other half of <see cref="PeerMesh"/>, which holds this
/// node's connections to them). A peer sends its assignment changes (<c>AssignmentChanged</c>) over its own connection to
/// this node only, so what it decided while that connection was closed never arrives here: a table pulled from the peer
/// before the connection (re)opened may miss them (docs/recovery.md, "Both directions"). Fed by the hub's connect and
/// disconnect; thread-safe.
/// </summary>
public sealed class InboundPeers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (int Open, long Generation)> _peers = new(StringComparer.Ordinal);

    /// <summary>A connection from <paramref name="peerNodeId"/> to this node's hub opened.</summary>
    public void Opened(string peerNodeId)
    {
        ArgumentNullException.ThrowIfNull(peerNodeId);
        lock (_gate)
        {
            var (open, generation) = _peers.GetValueOrDefault(peerNodeId);
            _peers[peerNodeId] = (open + 1, generation + 1);
        }
    }

    /// <summary>A connection from <paramref name="peerNodeId"/> to this node's hub closed.</summary>
    public void Closed(string peerNodeId)
    {
        ArgumentNullException.ThrowIfNull(peerNodeId);
        lock (_gate)
        {
            var (open, generation) = _peers.GetValueOrDefault(peerNodeId);
            _peers[peerNodeId] = (Math.Max(0, open - 1), generation + 1);
        }
    }

    /// <summary>
    /// Whether <paramref name="peerNodeId"/> has a connection open to this node now, and a number that changes with every
    /// open and close: two reads with the same number and <c>Open</c> true saw one connection open the whole time between.
    /// </summary>
    public InboundState StateOf(string peerNodeId)
    {
        lock (_gate)
        {
            var (open, generation) = _peers.GetValueOrDefault(peerNodeId);
            return new InboundState(open > 0, generation);
        }
    }
}

/// <summary>A peer's connection to this node at one moment (<see cref="InboundPeers.StateOf"/>).</summary>
/// <param name="Open">At least one connection from the peer is open.</param>
/// <param name="Generation">Counts the opens and closes of the peer's connections so far.</param>
public readonly record struct InboundState(bool Open, long Generation);
