using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine;

/// <summary>
/// One node's cluster view (docs/architecture.md §3): the members in their shared order and every client's
/// assignment, with the placement, routing, failover and reconciliation decisions of patent
/// Fig. 1–7 and 11 made over it. Thread-safe: decisions that change the view take one short lock; readers do not —
/// a known client's request (<see cref="Route"/> while its primary serves), <see cref="GetAssignment"/>,
/// <see cref="QueryClients"/>, <see cref="Assignments"/>, <see cref="Members"/> and <see cref="Snapshot"/> read
/// immutable pictures and the concurrent assignment table (through <see cref="AssignmentReader"/>). Nothing awaits the network or the database. Each change is
/// returned as an <see cref="AssignmentDelta"/> for the host to broadcast and persist.
/// </summary>
public sealed partial class ClusterState
{
    private readonly Lock _gate = new();
    private readonly MemberTable _view;
    private readonly AssignmentTable _table;
    private readonly PrimarySelector _primaries;
    private readonly AssignmentReader _read;
    private readonly int _self;
    private readonly TimeProvider _time;
    private readonly uint _seenResolution;

    /// <summary>Creates the view of node <paramref name="localNodeId"/>.</summary>
    /// <param name="localNodeId">Id of the node that owns this view and makes its decisions.</param>
    /// <param name="options">Thresholds and limits; see <see cref="ClusterOptions"/>.</param>
    /// <param name="expectedClients">Initial table capacity (clients), to avoid rehashing while loading.</param>
    /// <param name="time">Clock for last-seen times; the system clock when null.</param>
    /// <exception cref="ArgumentException">The node id is empty.</exception>
    public ClusterState(string localNodeId, ClusterOptions options, int expectedClients = 0, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(localNodeId);
        ArgumentNullException.ThrowIfNull(options);
        LocalNodeId = localNodeId;
        _view = new MemberTable(options.AdmissionThreshold, options.BusyThreshold);
        _time = time ?? TimeProvider.System;
        _table = new AssignmentTable(_view, _time, expectedClients);
        _primaries = new PrimarySelector(_view, _table, options.MaxBounces);
        _read = new AssignmentReader(_view, _table, _gate);
        _self = _view.IndexOf(localNodeId);

        // Last-seen is kept to a hundredth of the idle timeout (1 s to 1 min): a client's requests within that time
        // write nothing, so a request of a known client whose primary serves takes no lock.
        _seenResolution = (uint)Math.Clamp(options.ClientIdleTimeout.TotalSeconds / 100, 1, 60);
        SeenStep = (uint)Math.Clamp(options.ClientIdleTimeout.TotalSeconds / 20, _seenResolution, uint.MaxValue);
    }

    /// <summary>The current immutable picture of the members (states, availability, capacities), without a lock.</summary>
    public MemberSnapshot Members => _view.Snapshot;

    /// <summary>Id of the node that owns this view.</summary>
    public string LocalNodeId { get; }

    /// <summary>Clients with a live assignment (from <see cref="Snapshot"/>, no lock).</summary>
    public int ClientCount => Snapshot.ClientCount;

    /// <summary>Hybrid clock of the table (<see cref="HybridClock"/>): the highest assignment version counter seen or issued (from <see cref="Snapshot"/>).</summary>
    public long Clock => Snapshot.Clock;

    /// <summary>One page of clients, filtered, sorted and counted in one pass over the table, without the lock (see <see cref="ClientPage"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Skip is negative or Take is not positive.</exception>
    public ClientQueryResult QueryClients(ClientQuery query) => _read.Query(query);

    /// <summary>
    /// Stores a locally decided slot under a fresh version and returns its delta. A change of a live assignment keeps its
    /// <see cref="AssignmentSlot.Registration"/>; a client id placed anew (unknown here, or removed) registers under the
    /// fresh counter, which is above every counter this node has seen, the removal's included — so each new registration
    /// of an id has a higher stamp than the ones before it (docs/architecture.md §5).
    /// </summary>
    private AssignmentDelta Commit(string clientId, AssignmentSlot proposed, AssignmentChangeReason reason)
    {
        var known = _table.TryGetRaw(clientId, out var old);
        var counter = _table.NextCounter(known ? old.Counter : 0);
        var registration = known && !old.IsRemoved ? old.Registration : proposed.IsRemoved ? proposed.Registration : counter;
        var next = proposed with { Counter = counter, Origin = (short)_self, Registration = registration };
        _table.Set(clientId, next);
        if (known && !old.IsRemoved && !next.IsRemoved)
        {
            if (reason == AssignmentChangeReason.Reassigned)
            {
                SawOnReassignment(clientId);
            }

            if (next.Primary != old.Primary || next.Alternate != old.Alternate)
            {
                NewHolder(clientId); // a new holder has no sighting of the client: this node tells it what it knows, at once
            }
        }

        return _read.ToDelta(clientId, next, reason);
    }

    /// <summary>
    /// The registration stamp of <paramref name="clientId"/>'s live assignment (<see cref="Assignment.Registration"/>), or 0
    /// when it has none or its stamp is unknown. Lock-free and allocation-free: read on every client request to refuse a
    /// token issued for an earlier registration of the id (docs/architecture.md §5).
    /// </summary>
    public long RegistrationOf(string clientId) => _table.TryGet(clientId, out var slot) ? slot.Registration : 0;
}
