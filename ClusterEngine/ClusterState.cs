using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterEngine.Routing;

namespace ClusterEngine;

/// <summary>
/// One node's cluster view (DESIGN.md §3): the members in their shared order and every client's
/// assignment, with the placement, routing, failover and reconciliation decisions of patent
/// Fig. 1–7 and 11 made over it. Thread-safe: every call takes one short lock; none awaits the
/// network or the database. Each change is returned as an <see cref="AssignmentDelta"/> for the host
/// to broadcast and persist.
/// </summary>
public sealed partial class ClusterState
{
    private readonly Lock _gate = new();
    private readonly MemberTable _view;
    private readonly AssignmentTable _table;
    private readonly PrimarySelector _primaries;
    private readonly AlternateSelector _alternates;
    private readonly RequestRouter _router;
    private readonly int _self;
    private readonly TimeProvider _time;

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
        _alternates = new AlternateSelector(_view, _table);
        _router = new RequestRouter(_view, _table, _primaries, _alternates);
        _self = _view.IndexOf(localNodeId);
    }

    /// <summary>The Fig. 6 decision maker, for tests that check decisions are values (call only while no other thread uses this state).</summary>
    internal RequestRouter Router => _router;

    /// <summary>Id of the node that owns this view.</summary>
    public string LocalNodeId { get; }

    /// <summary>Clients with a live assignment (from <see cref="Snapshot"/>, no lock).</summary>
    public int ClientCount => Snapshot.ClientCount;

    /// <summary>Lamport clock of the table: the highest assignment version counter seen or issued (from <see cref="Snapshot"/>).</summary>
    public long Clock => Snapshot.Clock;

    /// <summary>
    /// One page of clients, filtered, sorted and counted in one pass over the table (see <see cref="ClientPage"/>).
    /// </summary>
    /// <param name="query">Filter, sort and page.</param>
    /// <exception cref="ArgumentOutOfRangeException">Skip is negative or Take is not positive.</exception>
    public ClientQueryResult QueryClients(ClientQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Skip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Take);
        lock (_gate)
        {
            var nodeIndex = query.NodeId is null ? -2 : _view.TryGetIndex(query.NodeId, out var n) ? n : -3;
            return ClientPage.Query(_table.All, _view.NodeIds(), nodeIndex, query);
        }
    }

    private Assignment ToAssignment(string clientId, in AssignmentSlot slot) =>
        new(clientId, _view[slot.Primary].NodeId, slot.HasAlternate ? _view[slot.Alternate].NodeId : null, new AssignmentVersion(slot.Counter, _view[slot.Origin].NodeId), slot.Bounces);

    private AssignmentDelta ToDelta(string clientId, in AssignmentSlot slot, AssignmentChangeReason reason) => new(
        clientId,
        slot.IsRemoved ? null : _view[slot.Primary].NodeId,
        slot.HasAlternate && !slot.IsRemoved ? _view[slot.Alternate].NodeId : null,
        new AssignmentVersion(slot.Counter, _view[slot.Origin].NodeId),
        slot.Bounces,
        reason);

    /// <summary>Stores a locally decided slot under a fresh version and returns its delta.</summary>
    private AssignmentDelta Commit(string clientId, AssignmentSlot proposed, AssignmentChangeReason reason)
    {
        var current = _table.TryGetRaw(clientId, out var old) ? old.Counter : 0;
        var next = proposed with { Counter = _table.NextCounter(current), Origin = (short)_self };
        _table.Set(clientId, next);
        return ToDelta(clientId, next, reason);
    }
}
