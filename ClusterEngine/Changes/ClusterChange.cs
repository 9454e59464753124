using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Changes;

/// <summary>
/// One change that left the decision core (<see cref="ClusterState"/> and the membership roles) after it was applied,
/// carried to every consumer by the <see cref="ClusterChanges"/>: persistence, the backplane outbox, the event feed,
/// the mirror roles, the sync jobs, the dashboard. Hosts may derive their own records (the portal's dashboard sample).
/// </summary>
public abstract record ClusterChange;

/// <summary>Assignments changed in this node's view.</summary>
/// <param name="Deltas">The deltas, already applied.</param>
/// <param name="Local">True when this node decided them (they are broadcast); false when merged from peers or storage.</param>
public sealed record AssignmentsChanged(IReadOnlyList<AssignmentDelta> Deltas, bool Local) : ClusterChange;

/// <summary>A member record changed (gossip, an operator, a join), after it was applied to the view.</summary>
/// <param name="Record">The new record (removed members included).</param>
/// <param name="Before">The node's status in this view before the change; null for a node new to the view.</param>
/// <param name="LocalNodeId">The node whose view changed.</param>
public sealed record MemberChanged(MemberRecord Record, NodeStatus? Before, string LocalNodeId) : ClusterChange;

/// <summary>A node's liveness state changed in this node's view (the failure detector's verdict, or this node's own state).</summary>
/// <param name="NodeId">The node.</param>
/// <param name="State">The new state.</param>
public sealed record NodeStateChanged(string NodeId, NodeState State) : ClusterChange;

/// <summary>This node caught up with a peer (patent Fig. 7, steps 700–740): what the peer's snapshot changed here.</summary>
/// <param name="LocalNodeId">This node.</param>
/// <param name="PeerNodeId">The peer whose snapshot was merged.</param>
/// <param name="Merged">Assignments the snapshot changed.</param>
/// <param name="DroppedPrimaries">Clients this node was primary of that a newer assignment gives to another node.</param>
/// <param name="DroppedAlternates">Clients this node was alternate of that a newer assignment gives to another node.</param>
public sealed record Reconciled(string LocalNodeId, string PeerNodeId, int Merged, int DroppedPrimaries, int DroppedAlternates) : ClusterChange;
