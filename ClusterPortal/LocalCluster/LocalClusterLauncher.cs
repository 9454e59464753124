using System.Globalization;
using System.Runtime.InteropServices;

namespace ClusterPortal.LocalCluster;

/// <summary>
/// <c>dotnet run --project ClusterPortal</c> without <c>Cluster:NodeId</c>: starts <c>LocalCluster:Nodes</c>
/// nodes as child processes on loopback ports from <c>LocalCluster:BasePort</c>, with keys generated once
/// and a shared file-system origin, and stops them when stopped (DESIGN.md §11).
/// </summary>
internal static partial class LocalClusterLauncher
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The launcher's data directory, relative to the working directory.</summary>
    public const string DataDirectory = "data/local-cluster";

    /// <summary>Whether <paramref name="args"/> ask for the launcher: no <c>Cluster:NodeId</c> and no subcommand.</summary>
    public static bool IsRequested(string[] args) =>
        !(args.Length > 0 && IsSubcommand(args[0])) && string.IsNullOrWhiteSpace(Configuration(args)["Cluster:NodeId"]);

    /// <summary>Runs the local cluster until Ctrl+C or SIGTERM.</summary>
    /// <returns>The process exit code: 0 after a normal stop, 1 when node-1 did not start, 2 for invalid options.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = Configuration(args);
        var options = configuration.GetSection(LocalClusterOptions.SectionName).Get<LocalClusterOptions>() ?? new LocalClusterOptions();
        using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        }));
        var logger = loggers.CreateLogger("ClusterPortal.LocalCluster");
        if (options.Validate() is { Count: > 0 } failures)
        {
            foreach (var failure in failures)
            {
                Log.InvalidOption(logger, failure);
            }

            return 2;
        }

        var dataRoot = Path.GetFullPath(DataDirectory);
        var keysPath = Path.Combine(dataRoot, "keys.json");
        var (stored, created) = LocalClusterKeys.LoadOrCreate(keysPath);
        var keys = new LocalClusterKeys(configuration["Cluster:Key"] ?? stored.ClusterKey, configuration["Portal:AdminKey"] ?? stored.AdminKey);
        Log.Keys(logger, created ? "generated and kept in" : "reused from", keysPath);
        var content = Path.Combine(dataRoot, "content");
        if (SharedContent.EnsureCopied(content))
        {
            Log.ContentCopied(logger, SharedContent.SampleDirectory, content);
        }

        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var nodes = new List<NodeProcess>();
        var passThrough = PassThrough(args);
        try
        {
            nodes.Add(Start(1, options, keys, keysPath, dataRoot, content, passThrough, logger));
            if (!await nodes[0].WaitReadyAsync(http, ReadyTimeout, stop.Token).ConfigureAwait(false))
            {
                Log.NotReady(logger, nodes[0].NodeId, (int)ReadyTimeout.TotalSeconds);
                return 1;
            }

            for (var i = 2; i <= options.Nodes; i++)
            {
                nodes.Add(Start(i, options, keys, keysPath, dataRoot, content, passThrough, logger));
            }

            var ready = await Task.WhenAll(nodes.Skip(1).Select(n => n.WaitReadyAsync(http, ReadyTimeout, stop.Token))).ConfigureAwait(false);
            foreach (var (node, isReady) in nodes.Skip(1).Zip(ready))
            {
                if (!isReady)
                {
                    Log.NotReady(logger, node.NodeId, (int)ReadyTimeout.TotalSeconds);
                }
            }

            await Console.Out.WriteLineAsync(LocalClusterBanner.Format(nodes, keys, keysPath, content)).ConfigureAwait(false);
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            Log.Stopping(logger, nodes.Count);
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

    private static NodeProcess Start(int index, LocalClusterOptions options, LocalClusterKeys keys, string keysPath, string dataRoot, string content,
        IReadOnlyList<string> passThrough, ILogger logger)
    {
        var nodeId = string.Create(CultureInfo.InvariantCulture, $"node-{index}");
        var url = options.NodeUrl(index);
        var arguments = new List<string>
        {
            $"--Cluster:NodeId={nodeId}",
            $"--urls={url}",
            $"--Cluster:DataDirectory={Path.Combine(dataRoot, nodeId)}",
            $"--Origin:Root={content}",
            // appsettings.json and wwwroot live beside the portal, whatever the working directory.
            $"--contentRoot={AppContext.BaseDirectory}",
            string.Create(CultureInfo.InvariantCulture, $"--LocalCluster:ParentPid={Environment.ProcessId}"),
            // Relay warnings and up, plus the node's "advertises" startup line, one line each.
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:ClusterPortal.Hosting.AdvertisedUrlRegistration=Information",
            "--Logging:Console:FormatterName=simple",
            "--Logging:Console:FormatterOptions:SingleLine=true",
        };
        if (index > 1)
        {
            arguments.Add($"--Cluster:Seeds:0={options.NodeUrl(1)}");
        }

        arguments.AddRange(passThrough);

        // Secrets go by environment, not on the command line: `ps` shows every user a process's arguments.
        var secrets = new Dictionary<string, string> { ["Cluster__Key"] = keys.ClusterKey, ["Portal__AdminKey"] = keys.AdminKey };
        return NodeProcess.Start(nodeId, url, arguments, secrets, keysPath, logger);
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

    private static bool IsSubcommand(string arg) => !arg.StartsWith('-') && !arg.StartsWith('/') && !arg.Contains('=', StringComparison.Ordinal);

    private static IConfigurationRoot Configuration(string[] args) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddJsonFile(Path.GetFullPath("appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args)
        .Build();

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Critical, Message = "Cannot start the local cluster: {Failure}")]
        public static partial void InvalidOption(ILogger logger, string failure);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Cluster and admin keys {How} {Path}")]
        public static partial void Keys(ILogger logger, string how, string path);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Sample content copied from {Source} to {Target} (the shared origin of every node)")]
        public static partial void ContentCopied(ILogger logger, string source, string target);

        [LoggerMessage(EventId = 5004, Level = LogLevel.Error, Message = "{NodeId} did not answer /health/ready with 200 within {Seconds} s")]
        public static partial void NotReady(ILogger logger, string nodeId, int seconds);

        [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Stopping {Count} node(s)")]
        public static partial void Stopping(ILogger logger, int count);

        [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Local cluster stopped")]
        public static partial void Stopped(ILogger logger);
    }
}
