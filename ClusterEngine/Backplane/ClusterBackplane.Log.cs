using ClusterEngine.Membership;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Backplane;

public sealed partial class ClusterBackplane
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Node {NodeId} joined through seed {SeedNodeId}")]
    private partial void LogJoined(string nodeId, string seedNodeId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Seed {Seed} unreachable: {Reason}")]
    private partial void LogSeedUnreachable(string seed, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "{NodeId} connected to peer {PeerId}")]
    private partial void LogPeerConnected(string nodeId, string peerId);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Peer {PeerId} is {State}")]
    private partial void LogPeerState(string peerId, NodeState state);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Information, Message = "Node {NodeId} is {State}")]
    private partial void LogSelfState(string nodeId, NodeState state);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Node {NodeId} was frozen for {Milliseconds} ms: catching up before serving")]
    private partial void LogFrozen(string nodeId, double milliseconds);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Information, Message = "{NodeId} caught up from {PeerId}: {Applied} assignments merged")]
    private partial void LogCaughtUp(string nodeId, string peerId, int applied);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Debug, Message = "Backplane call to {PeerId} failed: {Reason}")]
    private partial void LogSendFailed(string peerId, string reason);

    [LoggerMessage(EventId = 2109, Level = LogLevel.Warning, Message = "Offer of {ClientId} to {PeerId} failed: {Reason}")]
    private partial void LogOfferFailed(string peerId, string clientId, string reason);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Information, Message = "{NodeId} is leaving: handed {Changes} assignments to alternates")]
    private partial void LogHandedOver(string nodeId, int changes);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Warning, Message = "{NodeId} quorum: {HasQuorum} (a minority side serves nobody as primary)")]
    private partial void LogQuorum(string nodeId, bool hasQuorum);
}
