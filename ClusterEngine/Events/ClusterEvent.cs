namespace ClusterEngine.Events;

/// <summary>
/// One entry of a node's event stream (dashboard Events page, <c>/hubs/feed</c>). Values are small
/// and immutable so one instance can go to every subscriber.
/// </summary>
/// <param name="Sequence">Position in this node's stream, 1, 2, 3 … (resets when the process restarts).</param>
/// <param name="Timestamp">When this node recorded the event (UTC).</param>
/// <param name="Kind">What happened.</param>
/// <param name="NodeId">The node the event is about (for client events: the node that decided the change).</param>
/// <param name="ClientId">The client concerned, or null for node events.</param>
/// <param name="Detail">Short human-readable detail, e.g. <c>"primary node-2, alternate node-3"</c>; may be empty.</param>
public sealed record ClusterEvent(
    long Sequence,
    DateTimeOffset Timestamp,
    ClusterEventKind Kind,
    string NodeId,
    string? ClientId,
    string Detail);
