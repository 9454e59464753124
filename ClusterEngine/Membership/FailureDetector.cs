namespace ClusterEngine.Membership;

/// <summary>
/// Decides peers' liveness from the evidence the backplane reports (docs/architecture.md §7): a closed
/// connection that cannot be re-opened (refused) or a failed forward → Down at once; one transient
/// drop → Suspect until the re-check; silence longer than the peer's <see cref="SilenceTimeout"/>
/// (<c>FailureTimeout</c>, longer on a slow link) → Down, but Suspect while another peer's recent report says it heard
/// the silent peer recently enough to be granting it a serving lease still (<see cref="OtherPeerHeard"/>); a status
/// heard again → the state the peer reports for itself. A status counts whichever connection it came over: the peer's
/// heartbeat to this node's hub, or its answer to this node's heartbeat over this node's own connection (so a node
/// that just restarted hears its peers before their connections back to it are open). A status from an older
/// incarnation than one already heard (a late message of a process that restarted) is no evidence. Pure logic over a
/// <see cref="TimeProvider"/>; thread-safe.
/// </summary>
public sealed class FailureDetector(TimeProvider time, SilenceTimeout timeouts)
{
    /// <summary>A detector with a fixed silence timeout of <paramref name="failureTimeout"/>.</summary>
    public FailureDetector(TimeProvider time, TimeSpan failureTimeout)
        : this(time, SilenceTimeout.Fixed(failureTimeout))
    {
    }

    /// <summary>The silence after which <paramref name="nodeId"/> is Down now.</summary>
    public TimeSpan TimeoutFor(string nodeId) => timeouts.For(nodeId);

    /// <summary>A round trip to <paramref name="nodeId"/> was measured (it adapts the peer's timeout on a slow link).</summary>
    public void RoundTrip(string nodeId, TimeSpan rtt) => timeouts.RoundTrip(nodeId, rtt);

    private sealed class Peer
    {
        public long LastHeard;
        public long LastEvidence;
        public long Incarnation;
        public long Sequence;
        public NodeState Reported = NodeState.Joining;
        public bool Dropped;
        public bool Dead;
        public bool RefusedSinceHeard;
        public NodeState Current = NodeState.Joining;
        public long WatchedAt;
        public long LeasedByOthersUntil;
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);

    /// <summary>Starts watching a peer (as Joining, silence counted from now).</summary>
    public void Watch(string nodeId)
    {
        lock (_gate)
        {
            if (!_peers.ContainsKey(nodeId))
            {
                var now = time.GetTimestamp();
                _peers[nodeId] = new Peer { LastHeard = now, WatchedAt = now };
            }
        }
    }

    /// <summary>Stops watching a removed peer.</summary>
    public void Forget(string nodeId)
    {
        lock (_gate)
        {
            _peers.Remove(nodeId);
        }

        timeouts.Forget(nodeId);
    }

    /// <summary>
    /// A status arrived from the peer's <paramref name="incarnation"/>, number <paramref name="sequence"/> of that incarnation,
    /// reporting <paramref name="reported"/> about itself. A peer's statuses come over two connections (its heartbeats to
    /// this node, its answers to this node's heartbeats), so an older one can arrive after a newer one: a Leaving peer's
    /// answer written just before it said Leaving must not make it Up again here.
    /// </summary>
    /// <returns>False when it came from an older incarnation, or is older than a status of this incarnation already heard (ignored).</returns>
    public bool Heard(string nodeId, long incarnation, long sequence, NodeState reported)
    {
        var heard = false;
        With(nodeId, p =>
        {
            if (incarnation < p.Incarnation || (incarnation == p.Incarnation && sequence < p.Sequence))
            {
                return;
            }

            p.Incarnation = incarnation;
            p.Sequence = sequence;
            p.LastHeard = p.LastEvidence = time.GetTimestamp();
            p.Reported = reported;
            p.Dead = false;
            p.Dropped = false; // a fresh heartbeat is the quick re-check: the peer is alive
            heard = true;
        });
        return heard;
    }

    /// <summary>
    /// Another peer reported (in its status) that it heard <paramref name="nodeId"/> and would find it Down only after
    /// <paramref name="mayGrantFor"/> more: until then <paramref name="nodeId"/> may hold that peer's serving lease
    /// (<see cref="ServingLease"/>) and with it the quorum, and serve its clients. A silent peer is only Suspect here until
    /// then, so its clients are not taken over while it may still serve them (docs/network.md "Partitions": the peers'
    /// timeouts differ on a slow link, and a node cut off from one peer may still be heard by another).
    /// </summary>
    public void OtherPeerHeard(string nodeId, TimeSpan mayGrantFor) => With(nodeId, p =>
    {
        var until = time.GetTimestamp() + (long)(mayGrantFor.TotalSeconds * time.TimestampFrequency);
        p.LeasedByOthersUntil = Math.Max(p.LeasedByOthersUntil, until);
    });

    /// <summary>The connection to the peer dropped; it is being re-opened.</summary>
    public void ConnectionDropped(string nodeId) => With(nodeId, p => p.Dropped = true);

    /// <summary>The connection to the peer is open again.</summary>
    public void ConnectionRestored(string nodeId) => With(nodeId, p =>
    {
        p.Dropped = false;
        p.Dead = false;
        p.LastHeard = p.LastEvidence = time.GetTimestamp();
    });

    /// <summary>Evidence the peer process is gone: its port refused a connection, or a forward to it failed.</summary>
    public void Unreachable(string nodeId) => With(nodeId, p => p.Dead = p.RefusedSinceHeard = true);

    /// <summary>
    /// This node itself was frozen: the silence it sees is its own, not its peers'. Restart every
    /// peer's silence clock so the peers are judged on fresh evidence.
    /// </summary>
    public void ForgiveSilence()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            foreach (var p in _peers.Values)
            {
                p.LastHeard = now;
            }
        }
    }

    /// <summary>Re-evaluates every peer; returns those whose state changed, with the new state.</summary>
    public IReadOnlyList<(string NodeId, NodeState State)> Evaluate()
    {
        var changes = new List<(string, NodeState)>();
        lock (_gate)
        {
            var now = time.GetTimestamp();
            foreach (var (id, p) in _peers)
            {
                var silent = time.GetElapsedTime(p.LastHeard, now) > timeouts.For(id);
                // A dropped connection makes an Up peer Suspect (still served, re-checked); a peer that said it is leaving
                // or has left stays so — its connections close as it goes, and it must not look available again.
                var state = p.Dead || (silent && now >= p.LeasedByOthersUntil) ? NodeState.Down
                    : silent ? NodeState.Suspect
                    : p.Dropped && p.Reported is not (NodeState.Leaving or NodeState.Left) ? NodeState.Suspect
                    : p.Reported;
                if (state != p.Current)
                {
                    p.Current = state;
                    changes.Add((id, state));
                }
            }
        }

        return changes;
    }

    /// <summary>True when the peer's process is known to have stopped (refused), as opposed to merely silent.</summary>
    public bool IsKnownStopped(string nodeId)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(nodeId, out var p) && p.Dead;
        }
    }

    /// <summary>
    /// True when the peer's process stopped (its port refused) and the quorum has not counted it as heard since
    /// (<see cref="CountsAgain"/>) — though its port may accept again and its first statuses may have arrived: a process
    /// that is back but does not hold this node's serving lease yet. The quorum counts such a peer as stopped, not as the
    /// other side of an even split: a lone survivor lost its quorum for as long as a returning peer's port was open and the
    /// peer not yet heard (the tie goes to the first member in order), and the returning node, which knew nothing yet,
    /// took the survivor's clients (found by attack, 4 of 5 runs; docs/recovery.md). A peer whose last status said it has
    /// Left stopped too, by its own word, until a status of its next start says otherwise: the mesh stops calling a peer
    /// that left, so no refusal ever showed, and once its Left verdict had turned Suspect and Down with the silence it
    /// counted as a live member again — after a graceful leave and one crash in three nodes, the survivor lost its quorum
    /// and served nobody (found by attack).
    /// </summary>
    public bool StoppedUntilHeard(string nodeId)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(nodeId, out var p) && (p.Dead || p.RefusedSinceHeard || p.Reported == NodeState.Left);
        }
    }

    /// <summary>The quorum hears the peer again (it holds this node's serving lease): it counts as a live member from now on.</summary>
    public void CountsAgain(string nodeId) => With(nodeId, p => p.RefusedSinceHeard = false);

    /// <summary>
    /// True when the peer is alive as far as this node can tell: it answered or was heard within <c>FailureTimeout</c>
    /// and its port has not refused a connection since. A second process claiming its id is refused while this holds.
    /// </summary>
    public bool IsAlive(string nodeId)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(nodeId, out var p) && !p.Dead && p.LastEvidence != 0
                && time.GetElapsedTime(p.LastEvidence) <= timeouts.For(nodeId);
        }
    }

    /// <summary>
    /// True when the peer was heard (or its connection opened) within half its silence timeout: fresh evidence that this node
    /// and the peer are on the same side now, not merely that the peer has not been found Down yet.
    /// </summary>
    public bool HeardRecently(string nodeId)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(nodeId, out var p) && !p.Dead && p.LastEvidence != 0
                && time.GetElapsedTime(p.LastEvidence) <= timeouts.For(nodeId) / 2;
        }
    }

    /// <summary>
    /// True while the peer may be starting at the same time as this node: it has not been heard (nor its connection opened)
    /// since this node started watching it, its port has not refused a connection, and the watch is younger than
    /// <paramref name="grace"/>. Its silence is then no evidence: this node may simply not have reached it yet.
    /// </summary>
    public bool MayBeStarting(string nodeId, TimeSpan grace)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(nodeId, out var p) && p.LastEvidence == 0 && !p.Dead && time.GetElapsedTime(p.WatchedAt) < grace;
        }
    }

    /// <summary>True when the peer has been heard (or its connection opened) at least once since this node started watching it.</summary>
    public bool WasSeen(string nodeId)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(nodeId, out var p) && p.LastEvidence != 0;
        }
    }

    /// <summary>The current state of a peer (Joining when unknown).</summary>
    public NodeState StateOf(string nodeId)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(nodeId, out var p) ? p.Current : NodeState.Joining;
        }
    }

    private void With(string nodeId, Action<Peer> change)
    {
        lock (_gate)
        {
            if (_peers.TryGetValue(nodeId, out var p))
            {
                change(p);
            }
        }
    }
}
