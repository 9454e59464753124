using System.Runtime.InteropServices;
using ClusterPortal.Hosting;

namespace ClusterPortal.LocalCluster;

/// <summary>
/// <c>dotnet run --project ClusterPortal</c> without <c>Cluster:NodeId</c>: starts <c>LocalCluster:Nodes</c>
/// nodes as child processes on loopback ports from <c>LocalCluster:BasePort</c>, with keys generated once
/// and a shared file-system origin, and stops them when stopped (docs/architecture.md §11). A second local cluster
/// from the same folder (its lock) or on ports in use is refused before anything starts.
/// </summary>
internal static partial class LocalClusterLauncher
{
    /// <summary>The launcher's data directory, relative to the working directory.</summary>
    public const string DataDirectory = "data/local-cluster";

    /// <summary>The launcher's lock file in <see cref="DataDirectory"/>: one local cluster per folder.</summary>
    public const string LockName = "launcher.lock";

    /// <summary>Runs the local cluster until Ctrl+C or SIGTERM.</summary>
    /// <returns>The process exit code: 0 after a normal stop; 1 when a node did not start; 2 for invalid options, a local cluster already running here or ports in use.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        using var loggers = LauncherLogging.Create();
        var logger = loggers.CreateLogger("ClusterPortal.LocalCluster");
        if (Options(args, logger) is not { } options)
        {
            return 2;
        }

        var dataRoot = Path.GetFullPath(DataDirectory);
        DataDirectoryLock launcherLock;
        try
        {
            launcherLock = DataDirectoryLock.Acquire(dataRoot, LockName, $"the local cluster on {options.NodeUrl(1)}");
        }
        catch (DataDirectoryInUseException ex)
        {
            Log.AlreadyRunning(logger, ex.Directory, ex.Holder);
            return 2;
        }

        using (launcherLock)
        {
            if (Enumerable.Range(1, options.Nodes).FirstOrDefault(options.PortInUse) is var busy and > 0)
            {
                var (port, nodeId) = (options.BasePort + busy - 1, LocalClusterLayout.NodeId(busy));
                Log.PortInUse(logger, port, nodeId);
                return 2;
            }

            if (LostKeys(args, dataRoot) is { } lost)
            {
                Log.InvalidOption(logger, lost);
                return 2;
            }

            var layout = Prepare(args, options, dataRoot, logger);
            options.WriteRunning(dataRoot);
            return await RunNodesAsync(layout, logger).ConfigureAwait(false);
        }
    }

    private static async Task<int> RunNodesAsync(LocalClusterLayout layout, ILogger logger)
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var nodes = new List<NodeProcess>();
        try
        {
            // A first start forms the cluster at node-1, then the others join it. A restart starts every node at once: each
            // knows the members from its store, and node-1 up alone for longer than Cluster:RestartGrace (10 s) fails the
            // others' clients over to itself — which a loaded machine made routine (found by a new user: 2 of 4 restarts
            // ended with every primary on node-1).
            var restart = Enumerable.Range(1, layout.Options.Nodes).Any(i => File.Exists(Path.Combine(layout.NodeDirectory(i), "node.db")));
            nodes.Add(layout.StartNode(1, seeded: false, logger));
            if (!restart && await StartFailedAsync(nodes[..1], layout.Options.StartTimeout, http, logger, stop.Token).ConfigureAwait(false) is { } failed)
            {
                return failed;
            }

            for (var i = 2; i <= layout.Options.Nodes; i++)
            {
                nodes.Add(layout.StartNode(i, seeded: true, logger));
            }

            if (await StartFailedAsync(restart ? nodes : nodes[1..], layout.Options.StartTimeout, http, logger, stop.Token).ConfigureAwait(false) is { } othersFailed)
            {
                return othersFailed;
            }

            var others = await LocalClusterMembers.NotStartedAsync(http, layout, nodes, stop.Token).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(LocalClusterBanner.Format(nodes, others, layout)).ConfigureAwait(false);
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            var running = nodes.Count(n => !n.HasExited);
            Log.Stopping(logger, running);
            await Task.WhenAll(nodes.Select(n => n.StopAsync())).ConfigureAwait(false);
            foreach (var node in nodes)
            {
                node.Dispose();
            }

            Log.Stopped(logger);
        }

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>Waits for <paramref name="starting"/>; null when all are ready, else the exit code of the launcher (the failure logged).</summary>
    private static async Task<int?> StartFailedAsync(IReadOnlyList<NodeProcess> starting, TimeSpan timeout, HttpClient http, ILogger logger, CancellationToken cancellationToken)
    {
        var outcomes = await Task.WhenAll(starting.Select(n => n.WaitReadyAsync(http, timeout, cancellationToken))).ConfigureAwait(false);
        int? result = null;
        foreach (var (node, outcome) in starting.Zip(outcomes))
        {
            switch (outcome)
            {
                case NodeStart.Ready:
                    node.MarkRunning();
                    break;
                case NodeStart.Exited:
                    Log.ExitedDuringStart(logger, node.NodeId, node.ExitCode);
                    result = node.ExitCode == 2 ? 2 : 1;
                    break;
                default:
                    Log.NotReady(logger, node.NodeId, (int)timeout.TotalSeconds);
                    result ??= 1;
                    break;
            }
        }

        return result;
    }

    /// <summary>
    /// Why the launcher must not make new keys, or null: node stores exist but the keys file that wrote them is gone (and no
    /// <c>--Cluster:Key</c> was given). New keys would only have the nodes refuse their stores (docs/persistence.md,
    /// "Start-up checks") and lose the old key for good; found by a new user who deleted <c>keys.json</c>, then followed the
    /// refusal's advice to move a store away and ended with an empty cluster.
    /// </summary>
    internal static string? LostKeys(string[] args, string dataRoot)
    {
        var keysPath = Path.Combine(dataRoot, LocalClusterKeys.FileName);
        if (File.Exists(keysPath) || Configuration(args)["Cluster:Key"] is not null || !Directory.Exists(dataRoot))
        {
            return null;
        }

        var stores = Directory.EnumerateDirectories(dataRoot, "node-*").Where(d => File.Exists(Path.Combine(d, "node.db"))).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        return stores.Count == 0 ? null
            : $"{dataRoot} holds the stores of {string.Join(", ", stores)} but not {LocalClusterKeys.FileName}, the keys they were written with. "
                + $"Put {LocalClusterKeys.FileName} back (or pass its key with --Cluster:Key), or delete {Path.Combine(dataRoot, "node-*")} to start over "
                + "with new keys (the clients stored there are lost).";
    }

    /// <summary>The keys (generated on first start), the shared content (copied on first start) and the nodes' switches.</summary>
    private static LocalClusterLayout Prepare(string[] args, LocalClusterOptions options, string dataRoot, ILogger logger)
    {
        var configuration = Configuration(args);
        var keysPath = Path.Combine(dataRoot, LocalClusterKeys.FileName);
        var (stored, created) = LocalClusterKeys.LoadOrCreate(keysPath);
        var keys = new LocalClusterKeys(configuration["Cluster:Key"] ?? stored.ClusterKey, configuration["Portal:AdminKey"] ?? stored.AdminKey);
        Log.Keys(logger, created ? "generated and kept in" : "reused from", keysPath);
        var content = Path.Combine(dataRoot, "content");
        if (SharedContent.EnsureCopied(content))
        {
            Log.ContentCopied(logger, SharedContent.SampleDirectory, content);
        }

        return new LocalClusterLayout(options, keys, keysPath, dataRoot, content, PassThrough(args));
    }

    /// <summary>The validated <c>LocalCluster</c> options, or null (each problem logged naming its key).</summary>
    internal static LocalClusterOptions? Options(string[] args, ILogger logger)
    {
        LocalClusterOptions options;
        try
        {
            options = Configuration(args).GetSection(LocalClusterOptions.SectionName).Get<LocalClusterOptions>() ?? new LocalClusterOptions();
        }
        catch (InvalidOperationException ex)
        {
            // A value from appsettings.json or the environment that is not a number (command-line switches are checked before).
            Log.InvalidOption(logger, ex.Message);
            return null;
        }

        var failures = options.Validate();
        foreach (var failure in failures)
        {
            Log.InvalidOption(logger, failure);
        }

        return failures.Count == 0 ? options : null;
    }

    /// <summary>The user's arguments for every node: all but the <c>LocalCluster</c> ones.</summary>
    internal static IReadOnlyList<string> PassThrough(string[] args)
    {
        var result = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i].TrimStart('-', '/');
            if (name.StartsWith("LocalCluster:", StringComparison.OrdinalIgnoreCase) || name.StartsWith("LocalCluster__", StringComparison.OrdinalIgnoreCase))
            {
                if (!name.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length && !args[i + 1].StartsWith('-'))
                {
                    i++;
                }

                continue;
            }

            result.Add(args[i]);
        }

        return result;
    }

    /// <summary>The configuration the launcher and the verbs read: appsettings.json (beside the portal, then the working directory), the environment, <paramref name="args"/>.</summary>
    internal static IConfigurationRoot Configuration(string[] args) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddJsonFile(Path.GetFullPath("appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args)
        .Build();

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.InvalidOption, Level = LogLevel.Critical, Message = "Cannot start the local cluster: {Failure}")]
        public static partial void InvalidOption(ILogger logger, string failure);

        [LoggerMessage(EventId = LogEvents.Keys, Level = LogLevel.Information, Message = "Cluster and admin keys {How} {Path}")]
        public static partial void Keys(ILogger logger, string how, string path);

        [LoggerMessage(EventId = LogEvents.ContentCopied, Level = LogLevel.Information, Message = "Sample content copied from {Source} to {Target} (the shared origin of every node)")]
        public static partial void ContentCopied(ILogger logger, string source, string target);

        [LoggerMessage(EventId = LogEvents.NotReady, Level = LogLevel.Critical, Message = "{NodeId} did not answer /health/ready with 200 within {Seconds} s (LocalCluster:StartTimeout): the local cluster did not start")]
        public static partial void NotReady(ILogger logger, string nodeId, int seconds);

        [LoggerMessage(EventId = LogEvents.Stopping, Level = LogLevel.Information, Message = "Stopping {Count} node(s)")]
        public static partial void Stopping(ILogger logger, int count);

        [LoggerMessage(EventId = LogEvents.Stopped, Level = LogLevel.Information, Message = "Local cluster stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventId = LogEvents.ExitedDuringStart, Level = LogLevel.Critical, Message = "{NodeId} stopped during start with exit code {ExitCode} (its reason is above): the local cluster did not start")]
        public static partial void ExitedDuringStart(ILogger logger, string nodeId, int exitCode);

        [LoggerMessage(EventId = LogEvents.AlreadyRunning, Level = LogLevel.Critical, Message = "Cannot start the local cluster: another one runs from {Directory} ({Holder}). Stop it first (Ctrl+C in its terminal), or start this one from another folder with another --LocalCluster:BasePort")]
        public static partial void AlreadyRunning(ILogger logger, string directory, string holder);

        [LoggerMessage(EventId = LogEvents.PortInUse, Level = LogLevel.Critical, Message = "Cannot start the local cluster: port {Port} (for {NodeId}) is in use, by another local cluster or another program. Stop it, or choose another --LocalCluster:BasePort")]
        public static partial void PortInUse(ILogger logger, int port, string nodeId);
    }
}
