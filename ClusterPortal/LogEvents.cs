namespace ClusterPortal;

/// <summary>
/// The event ids of every log message of ClusterPortal, in one place so that each id names one message (filters and alerts
/// key on them). Ranges by area; a new message takes the next free number of its area.
/// </summary>
internal static class LogEvents
{
    /// <summary><c>AdvertisedUrlRegistration.LogCannotAdvertise</c>.</summary>
    public const int CannotAdvertise = 1001;

    /// <summary><c>AdvertisedUrlRegistration.LogAdvertised</c>.</summary>
    public const int Advertised = 1002;

    /// <summary><c>StartupSummary.LogIdentity</c>.</summary>
    public const int Identity = 1010;

    /// <summary><c>StartupSummary.LogPlacement</c>.</summary>
    public const int Placement = 1011;

    /// <summary><c>StartupSummary.LogData</c>.</summary>
    public const int Data = 1012;

    /// <summary><c>NodeLockWatch.LogSchemaRetaken</c>.</summary>
    public const int SchemaLockRetaken = 1020;

    /// <summary><c>NodeLockWatch.LogSchemaUnreachable</c>.</summary>
    public const int SchemaLockUnreachable = 1021;

    /// <summary><c>NodeLockWatch.LogSchemaTaken</c>.</summary>
    public const int SchemaLockTaken = 1022;

    /// <summary><c>NodeLockWatch.LogDirectoryRetaken</c>.</summary>
    public const int DataDirectoryRetaken = 1023;

    /// <summary><c>NodeLockWatch.LogDirectoryUnwritable</c>.</summary>
    public const int DataDirectoryUnwritable = 1024;

    /// <summary><c>NodeLockWatch.LogDirectoryTaken</c>.</summary>
    public const int DataDirectoryTaken = 1025;

    /// <summary><c>NodeLockWatch.LogStoreGone</c>.</summary>
    public const int StoreFileGone = 1026;

    /// <summary><c>NodeLockWatch.LogSchemaLingering</c>.</summary>
    public const int SchemaLockLingering = 1027;

    /// <summary><c>NodeLockWatch.LogClaimTakenWaiting</c>.</summary>
    public const int ClaimTakenWaiting = 1028;

    /// <summary><c>NodeLockWatch.LogDirectoryRestored</c>.</summary>
    public const int DataDirectoryRestored = 1029;

    /// <summary><c>AdminLoginApi.LogRefused</c>.</summary>
    public const int AdminLoginApiRefused = 3301;

    /// <summary><c>PeerAuthenticationHandler.LogRefused</c>.</summary>
    public const int PeerAuthenticationHandlerRefused = 3310;

    /// <summary><c>BackplaneAdmission.LogFailed</c>: a backplane hub method threw something unexpected.</summary>
    public const int BackplaneCallFailed = 3311;

    /// <summary><c>FeedBroadcaster.LogSendFailed</c>.</summary>
    public const int SendFailed = 3401;

    /// <summary><c>DashboardSampler.LogSampleFailed</c>.</summary>
    public const int SampleFailed = 3402;

    /// <summary><c>OriginItemsApi.ItemWritten</c>.</summary>
    public const int ItemWritten = 4001;

    /// <summary><c>OriginItemsApi.ItemDeleted</c>.</summary>
    public const int ItemDeleted = 4002;

    /// <summary><c>ItemForwarder.LogClientGone</c>.</summary>
    public const int ClientGone = 4010;

    /// <summary><c>ItemForwarder.LogPeerUnreachable</c>.</summary>
    public const int PeerUnreachable = 4011;

    /// <summary><c>ItemForwarder.LogPeerRemoved</c>.</summary>
    public const int PeerRemovedAnswer = 4012;

    /// <summary><c>SessionsApi.LogRetryRecovered</c>: an announce whose answer was lost, repeated with its retry key.</summary>
    public const int AnnounceRetryRecovered = 4020;

    /// <summary><c>LocalClusterLauncher.InvalidOption</c>.</summary>
    public const int InvalidOption = 5001;

    /// <summary><c>LocalClusterLauncher.Keys</c>.</summary>
    public const int Keys = 5002;

    /// <summary><c>LocalClusterLauncher.ContentCopied</c>.</summary>
    public const int ContentCopied = 5003;

    /// <summary><c>LocalClusterLauncher.NotReady</c>.</summary>
    public const int NotReady = 5004;

    /// <summary><c>LocalClusterLauncher.Stopping</c>.</summary>
    public const int Stopping = 5005;

    /// <summary><c>LocalClusterLauncher.Stopped</c>.</summary>
    public const int Stopped = 5006;

    /// <summary><c>LocalClusterLauncher.ExitedDuringStart</c>.</summary>
    public const int ExitedDuringStart = 5007;

    /// <summary><c>LocalClusterLauncher.AlreadyRunning</c>.</summary>
    public const int AlreadyRunning = 5008;

    /// <summary><c>LocalClusterLauncher.PortInUse</c>.</summary>
    public const int PortInUse = 5009;

    /// <summary><c>MirrorSyncQueue.LogEnqueueFailed</c>.</summary>
    public const int EnqueueFailed = 5101;

    /// <summary><c>NodeProcess.ExitedOnItsOwn</c>.</summary>
    public const int ExitedOnItsOwn = 5102;

    /// <summary><c>NodeProcess.Killed</c>.</summary>
    public const int Killed = 5103;

    /// <summary><c>BoundedJobServerStop.LogStopOverran</c>: Hangfire's server outlived its stop budget.</summary>
    public const int JobServerStopOverran = 5104;

    /// <summary><c>ParentProcessWatchdog.LogParentGone</c>.</summary>
    public const int ParentGone = 5201;

    /// <summary><c>AddNodeCommand.Refused</c>.</summary>
    public const int Refused = 5301;

    /// <summary><c>AddNodeCommand.NotStarted</c>.</summary>
    public const int NotStarted = 5302;

    /// <summary><c>AddNodeCommand.NotAdded</c>.</summary>
    public const int NotAdded = 5303;

    /// <summary><c>AddNodeCommand.Added</c>.</summary>
    public const int Added = 5304;

    /// <summary><c>AddNodeCommand.Removed</c>.</summary>
    public const int Removed = 5305;

    /// <summary><c>AddNodeCommand.NotRemoved</c>.</summary>
    public const int NotRemoved = 5306;

    /// <summary><c>SimulationRunner.LogStarted</c>.</summary>
    public const int SimulationRunnerStarted = 7001;

    /// <summary><c>SimulationRunner.LogFinished</c>.</summary>
    public const int Finished = 7002;

    /// <summary><c>SimulationRunner.LogFailed</c>.</summary>
    public const int Failed = 7003;

    /// <summary><c>SimulationRunner.LogSubscriberFailed</c>.</summary>
    public const int SubscriberFailed = 7004;

    /// <summary><c>NodeProcess.Started</c>.</summary>
    public const int Started = 7005;
}
