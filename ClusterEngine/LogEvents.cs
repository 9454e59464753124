namespace ClusterEngine;

/// <summary>
/// The event ids of every log message of ClusterEngine, in one place so that each id names one message (filters and alerts
/// key on them). Ranges by area; a new message takes the next free number of its area.
/// </summary>
internal static class LogEvents
{
    /// <summary><c>IdleClientExpiry.ClientsExpired</c>.</summary>
    public const int ClientsExpired = 1010;

    /// <summary><c>IdleClientExpiry.ExpiryFailed</c>.</summary>
    public const int ExpiryFailed = 1013;

    /// <summary><c>ClientSeenRelay.LogRelayFailed</c>.</summary>
    public const int SeenRelayFailed = 1014;

    /// <summary><c>ClientSeenStore.LogStoreFailed</c>.</summary>
    public const int SeenStoreFailed = 1015;

    /// <summary><c>ClusterChanges.LogSubscriberFailed</c>.</summary>
    public const int SubscriberFailed = 1020;

    /// <summary><c>RetryingLoop.LogPartFailed</c>.</summary>
    public const int PartFailed = 1031;

    /// <summary><c>PeerConnection.LogConnectFailed</c>.</summary>
    public const int ConnectFailed = 2001;

    /// <summary><c>PeerConnection.LogSendFailed</c>.</summary>
    public const int PeerConnectionSendFailed = 2002;

    /// <summary><c>PeerMesh.LogCallFailed</c>.</summary>
    public const int CallFailed = 2004;

    /// <summary><c>MembershipAgent.LogJoined</c>.</summary>
    public const int Joined = 2101;

    /// <summary><c>MembershipAgent.LogSeedUnreachable</c>.</summary>
    public const int SeedUnreachable = 2102;

    /// <summary><c>PeerMesh.LogPeerConnected</c>.</summary>
    public const int PeerConnected = 2103;

    /// <summary><c>ClusterHealthMonitor.LogPeerState</c>.</summary>
    public const int PeerState = 2104;

    /// <summary><c>LocalNodeStatus.LogSelfState</c>.</summary>
    public const int SelfState = 2105;

    /// <summary><c>ClusterHealthMonitor.LogFrozen</c>.</summary>
    public const int Frozen = 2106;

    /// <summary><c>AssignmentReconciler.LogCaughtUp</c>.</summary>
    public const int CaughtUp = 2107;

    /// <summary><c>MembershipAgent.LogSendFailed</c>.</summary>
    public const int MembershipAgentSendFailed = 2108;

    /// <summary><c>PeerOfferTransport.LogOfferFailed</c>.</summary>
    public const int OfferFailed = 2109;

    /// <summary><c>GracefulLeave.LogHandedOver</c>.</summary>
    public const int HandedOver = 2110;

    /// <summary><c>LocalNodeStatus.LogQuorum</c>.</summary>
    public const int Quorum = 2111;

    /// <summary><c>BackplaneMirrorSyncTransport.LogSendFailed</c>.</summary>
    public const int SendFailed = 2112;

    /// <summary><c>GracefulLeave.LogPreparationFailed</c>.</summary>
    public const int PreparationFailed = 2113;

    /// <summary><c>MembershipAgent.LogIdRefused</c>.</summary>
    public const int IdRefused = 2114;

    /// <summary><c>MembershipAgent.LogRemoved</c>.</summary>
    public const int Removed = 2115;

    /// <summary><c>MembershipAgent.LogAdded</c>.</summary>
    public const int Added = 2116;

    /// <summary><c>MembershipAuthority.LogDecided</c>.</summary>
    public const int Decided = 2117;

    /// <summary><c>NodeAdmission.LogClaimRefused</c>.</summary>
    public const int ClaimRefused = 2118;

    /// <summary><c>AssignmentReconciler.LogCatchUpFailed</c>.</summary>
    public const int CatchUpFailed = 2119;

    /// <summary><c>RoleRepair.LogRepaired</c>.</summary>
    public const int Repaired = 2120;

    /// <summary><c>AntiEntropy.LogPulled</c>.</summary>
    public const int Pulled = 2121;

    /// <summary><c>AntiEntropy.LogPullFailed</c>.</summary>
    public const int PullFailed = 2122;

    /// <summary><c>ClusterHealthMonitor.LogQuorumRegained</c>.</summary>
    public const int QuorumRegained = 2123;

    /// <summary><c>MembershipAgent.LogSeedRefused</c>.</summary>
    public const int SeedRefused = 2124;

    /// <summary><c>PeerConnection.LogRefusedByPeer</c>.</summary>
    public const int PeerRefusedThisNode = 2125;

    /// <summary><c>NodeAdmission.LogUnreachable</c>.</summary>
    public const int JoinUnreachable = 2126;

    /// <summary><c>MembershipAuthority.LogRemovalUnconfirmed</c>.</summary>
    public const int RemovalUnconfirmed = 2127;

    /// <summary><c>GracefulLeave.LogDrainTimedOut</c>.</summary>
    public const int DrainTimedOut = 2128;

    /// <summary><c>out.LogRefused</c>.</summary>
    public const int Refused = 2201;

    /// <summary><c>out.LogRefusedAgain</c>.</summary>
    public const int RefusedAgain = 2202;

    /// <summary><c>ClientClaims.LogNoOwner</c>.</summary>
    public const int NoOwner = 2203;

    /// <summary><c>PeerClaimTransport.LogClaimFailed</c>.</summary>
    public const int ClaimFailed = 2204;

    /// <summary><c>OriginLog.FileSystemOriginStarted</c>.</summary>
    public const int FileSystemOriginStarted = 3100;

    /// <summary><c>OriginLog.WatcherFailed</c>.</summary>
    public const int WatcherFailed = 3101;

    /// <summary><c>OriginLog.KeyOutsideRoot</c>.</summary>
    public const int KeyOutsideRoot = 3102;

    /// <summary><c>PersistenceLog.BatchAbandoned</c>.</summary>
    public const int BatchAbandoned = 3103;

    /// <summary><c>PersistenceLog.QueueFull</c>.</summary>
    public const int QueueFull = 3104;

    /// <summary><c>PersistenceLog.Drained</c>.</summary>
    public const int Drained = 3105;

    /// <summary><c>PersistenceLog.SnapshotLoaded</c>.</summary>
    public const int SnapshotLoaded = 3106;

    /// <summary><c>PersistenceLog.SchemaCreated</c>.</summary>
    public const int SchemaCreated = 3107;

    /// <summary><c>PersistenceLog.DatabaseUnavailable</c>.</summary>
    public const int DatabaseUnavailable = 3108;

    /// <summary><c>PersistenceLog.DatabaseRestored</c>.</summary>
    public const int DatabaseRestored = 3109;

    /// <summary><c>OriginLog.ItemLoaded</c>.</summary>
    public const int ItemLoaded = 3110;

    /// <summary><c>OriginLog.ItemTooLargeToCache</c>.</summary>
    public const int ItemTooLargeToCache = 3111;

    /// <summary><c>PersistenceLog.StoredMemberFixed</c>.</summary>
    public const int StoredMemberFixed = 3120;

    /// <summary><c>PersistenceLog.StateRestored</c>.</summary>
    public const int StateRestored = 3121;

    /// <summary><c>PersistenceLog.StoredMirrorDamaged</c>.</summary>
    public const int StoredMirrorDamaged = 3122;

    /// <summary><c>PersistenceLog.SessionCloseFailed</c>.</summary>
    public const int SessionCloseFailed = 3123;

    /// <summary><c>PersistenceLog.StoreKeyChanged</c>.</summary>
    public const int StoreKeyChanged = 3124;

    /// <summary><c>PersistenceLog.Relinquished</c>: the node gave its store up to another process (NodeLockWatch).</summary>
    public const int StoreRelinquished = 3125;

    /// <summary><c>MirrorSynchronizer.LogNotAcknowledged</c>.</summary>
    public const int NotAcknowledged = 5001;

    /// <summary><c>PersistenceLog.DatabaseOpened</c>.</summary>
    public const int DatabaseOpened = 5002;

    /// <summary><c>PersistenceLog.BatchWritten</c>.</summary>
    public const int BatchWritten = 5003;

    /// <summary><c>PersistenceLog.WriteFailed</c>.</summary>
    public const int WriteFailed = 5004;
}
