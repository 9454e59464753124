using ClusterEngine.Placement;

namespace ClusterEngine;

public sealed partial class ClusterState
{
    /// <summary>
    /// A client is placed on this view alone (patent Fig. 1, steps 100–120; Fig. 4, steps 410–490; Fig. 5): an
    /// assigned client gets its assignment back; a new one goes through the placement loop (<see cref="OfferLoop"/>)
    /// with this view deciding for every node offered, and gets an alternate. A running node announces through the
    /// <see cref="PlacementCoordinator"/>, where each offered node decides itself; this is the same loop for a single
    /// view (tools, benchmarks, models).
    /// </summary>
    /// <exception cref="ArgumentException">The client id is empty.</exception>
    public AnnounceResult Announce(string clientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        lock (_gate)
        {
            if (_table.TryGet(clientId, out var existing))
            {
                return new AnnounceResult(PlacementOutcome.Existing, _read.ToAssignment(clientId, existing), null, []);
            }

            var offered = new List<int>(2);
            var (primary, bounces) = _primaries.Place(offered);
            var path = offered.ConvertAll(i => _view[i].NodeId);
            if (primary < 0)
            {
                return new AnnounceResult(PlacementOutcome.ClusterFull, null, null, path);
            }

            var slot = new AssignmentSlot(0, 0, (short)primary, (short)AlternateChoice.Select(_view.Snapshot, _table, primary), (byte)bounces);
            var delta = Commit(clientId, slot, AssignmentChangeReason.Assigned);
            _table.TryGet(clientId, out var stored);
            return new AnnounceResult(PlacementOutcome.Placed, _read.ToAssignment(clientId, stored), delta, path);
        }
    }

    /// <summary>
    /// Patent Fig. 4, step 450: the next eligible node in membership order by this node's round-robin
    /// cursor — the potential primary to offer a new client to; null when no node is eligible.
    /// </summary>
    public string? NextPotentialPrimary()
    {
        lock (_gate)
        {
            var next = _primaries.NextPotentialPrimary();
            return next < 0 ? null : _view[next].NodeId;
        }
    }

    /// <summary>The eligible node, not in <paramref name="exclude"/>, with the lowest load ratio below capacity; null when none.</summary>
    public string? LowestRatioNode(IEnumerable<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(exclude);
        lock (_gate)
        {
            var excluded = exclude.Select(id => _view.TryGetIndex(id, out var i) ? i : -1).ToArray();
            var best = _primaries.LowestRatioBelowCapacity(excluded, -1);
            return best < 0 ? null : _view[best].NodeId;
        }
    }

    /// <summary>
    /// The placement decision alone (round robin, admission, bounces, alternate) without applying it,
    /// for benchmarks: returns the chosen primary index, or -1 when the cluster is full.
    /// </summary>
    internal int DecidePlacement(List<int> offered)
    {
        lock (_gate)
        {
            offered.Clear();
            var (primary, _) = _primaries.Place(offered);
            return primary < 0 ? -1 : primary + (AlternateChoice.Select(_view.Snapshot, _table, primary) << 16);
        }
    }

    /// <summary>
    /// This node, as potential primary, decides an offer of a new client (patent Fig. 4, steps
    /// 460–490; the <c>Offer</c> request).
    /// </summary>
    /// <param name="bounces">Bounces the client has had so far (0 for the round-robin pick).</param>
    /// <param name="offered">Node ids already offered this client (this node included or not).</param>
    public AdmissionDecision DecideOffer(int bounces, IEnumerable<string> offered)
    {
        ArgumentNullException.ThrowIfNull(offered);
        lock (_gate)
        {
            var tried = new List<int> { _self };
            foreach (var id in offered)
            {
                if (_view.TryGetIndex(id, out var i))
                {
                    tried.Add(i);
                }
            }

            var (outcome, target) = _primaries.Decide(_self, bounces, tried.ToArray());
            return new AdmissionDecision(outcome, outcome == AdmissionOutcome.Bounce ? _view[target].NodeId : null);
        }
    }

    /// <summary>
    /// This node becomes the primary of a new client it accepted (Fig. 4, steps 470/490) and selects
    /// its alternate (Fig. 5, steps 510–520). Returns null when the client already has a live assignment.
    /// </summary>
    public AssignmentDelta? AcceptAsPrimary(string clientId, int bounces)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        lock (_gate)
        {
            if (_table.TryGet(clientId, out _))
            {
                return null;
            }

            var slot = new AssignmentSlot(0, 0, (short)_self, (short)AlternateChoice.Select(_view.Snapshot, _table, _self), (byte)Math.Clamp(bounces, 0, 255));
            return Commit(clientId, slot, AssignmentChangeReason.Assigned);
        }
    }

    /// <summary>The client's assignment, or null when it has none.</summary>
    public Assignment? GetAssignment(string clientId) => _read.Get(clientId);

    /// <summary>Removes a client (idle timeout, operator); returns the removal delta, or null when unknown.</summary>
    public AssignmentDelta? Remove(string clientId)
    {
        lock (_gate)
        {
            if (!_table.TryGet(clientId, out var slot))
            {
                return null;
            }

            return Commit(clientId, slot with { Primary = AssignmentSlot.None, Alternate = AssignmentSlot.None }, AssignmentChangeReason.Removed);
        }
    }

    /// <summary>
    /// Merges deltas from peers or from storage: per client the newest version wins (ties by node
    /// id), so any order and any repetition give the same table. Unknown node ids are registered
    /// (not eligible until they become members).
    /// </summary>
    /// <returns>The deltas that changed this view.</returns>
    public IReadOnlyList<AssignmentDelta> Apply(IEnumerable<AssignmentDelta> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        var applied = new List<AssignmentDelta>();
        lock (_gate)
        {
            foreach (var delta in deltas)
            {
                var reassignedLive = delta.Reason == AssignmentChangeReason.Reassigned && _table.TryGet(delta.ClientId, out _);
                if (_table.Merge(delta.ClientId, _read.ToSlot(delta)))
                {
                    applied.Add(delta);
                    if (reassignedLive)
                    {
                        SawOnReassignment(delta.ClientId);
                    }
                }
            }
        }

        return applied;
    }

    /// <summary>
    /// Every live assignment (unordered; for snapshots, paging and catch-up), read without the decision lock: a change
    /// made while it runs may or may not be in it, as if it came just before or just after.
    /// </summary>
    public IReadOnlyList<Assignment> Assignments(Func<Assignment, bool>? filter = null) => _read.All(filter);

    /// <summary>The anti-entropy digest per bucket of client ids (see <see cref="DigestBucketCount"/>).</summary>
    public long[] DigestBuckets() => _read.DigestBuckets();

    /// <summary>Buckets of the anti-entropy digest: a client id's bucket is the top byte of its 64-bit hash.</summary>
    public static int DigestBucketCount => AssignmentTable.DigestBuckets;

    /// <summary>
    /// Every stored assignment of the clients in <paramref name="buckets"/>, removals (tombstones) included, as deltas:
    /// what a peer whose digest differs in those buckets pulls (anti-entropy, docs/recovery.md).
    /// </summary>
    public IReadOnlyList<AssignmentDelta> AssignmentsInBuckets(IReadOnlySet<int> buckets) => _read.InBuckets(buckets);
}
