using System.CommandLine;
using System.Runtime.InteropServices;
using ClusterPortal.Hosting;

namespace ClusterPortal.LocalCluster;

/// <summary>
/// The <c>add-node</c> verb: patent Fig. 11 in one command. Starts one more node of the local cluster running from
/// this folder (<c>node-k</c> on the next port, its own data directory, the shared content and the kept keys), adds it
/// with the operator API (<c>POST /api/nodes</c> at node-1, the way the Nodes page does) and relays its output until
/// Ctrl+C, which removes it from the cluster again (its clients fail over to their alternates) and stops it. A member
/// added earlier that is now down (its add-node was stopped without removing it) is started again instead.
/// </summary>
internal static partial class AddNodeCommand
{
    /// <summary>The verb.</summary>
    public const string Verb = "add-node";

    /// <summary>The verb; the configuration switches on its command line go to the new node.</summary>
    public static Command Create()
    {
        var capacity = new Option<int?>("--capacity") { Description = "Clients the new node may serve as primary (> 0) [default: Cluster:Capacity, 10000]" };
        var name = new Option<string>("--name") { Description = "Display name on the dashboard [default: the node id]" };
        var command = new Command(Verb, "Start one more local node and add it to the local cluster running from this folder (patent Fig. 11); Ctrl+C removes and stops it. Configuration switches go to the new node.")
        {
            capacity, name,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, _) => RunAsync([.. parse.UnmatchedTokens], parse.GetValue(capacity), parse.GetValue(name)));
        return command;
    }

    private static async Task<int> RunAsync(string[] args, int? capacity, string? name)
    {
        using var loggers = LauncherLogging.Create();
        var logger = loggers.CreateLogger("ClusterPortal.LocalCluster.AddNode");
        if (LocalClusterLauncher.Options(args, logger) is not { } configured)
        {
            return 2;
        }

        var nodeCapacity = capacity ?? LocalClusterLauncher.Configuration(args).GetValue<int?>("Cluster:Capacity") ?? 10_000;
        if (nodeCapacity <= 0 || name is { Length: > 64 })
        {
            Log.Refused(logger, "--capacity must be greater than 0 and --name at most 64 characters");
            return 2;
        }

        var dataRoot = Path.GetFullPath(LocalClusterLauncher.DataDirectory);
        var keysPath = Path.Combine(dataRoot, LocalClusterKeys.FileName);
        if (LocalClusterKeys.TryRead(keysPath) is not { } keys)
        {
            var reason = $"no local cluster runs from this folder ({keysPath} not found): start one with `dotnet run --project ClusterPortal` first";
            Log.Refused(logger, reason);
            return 2;
        }

        // The ports of the launcher running from this folder, unless given here.
        var options = configured;
        if (LocalClusterLauncher.Configuration(args)["LocalCluster:BasePort"] is null && LocalClusterOptions.ReadRunning(dataRoot) is { } running)
        {
            (options.BasePort, options.Nodes) = (running.BasePort, running.Nodes);
        }

        // The node's own settings say what the cluster will say (the operator's capacity wins cluster-wide anyway).
        string[] own = name is null ? [$"--Cluster:Capacity={nodeCapacity}"] : [$"--Cluster:Capacity={nodeCapacity}", $"--Cluster:NodeName={name}"];
        var layout = new LocalClusterLayout(options, keys, keysPath, dataRoot, Path.Combine(dataRoot, "content"), [.. own, .. LocalClusterLauncher.PassThrough(args)]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        IReadOnlyList<LocalClusterMember> members;
        try
        {
            members = await LocalClusterMember.ListAsync(http, layout, CancellationToken.None);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            var reason = $"nothing answers at {options.NodeUrl(1)} ({ex.Message}): start the local cluster first (`dotnet run --project ClusterPortal`)";
            Log.Refused(logger, reason);
            return 1;
        }

        var (index, rejoin) = Choose(layout, members);
        return await RunNodeAsync(layout, http, index, rejoin, nodeCapacity, name, logger);
    }

    /// <summary>
    /// A down member of this folder (it rejoins through node-1 with its data), else the number of a removed one
    /// (<c>Left</c>: added again, with empty data), else the next free node number.
    /// </summary>
    internal static (int Index, bool Rejoin) Choose(LocalClusterLayout layout, IReadOnlyList<LocalClusterMember> members)
    {
        bool Local(LocalClusterMember m, out int k) =>
            (k = Index(m.NodeId) ?? 0) > layout.Options.Nodes && string.Equals(m.Url, layout.Options.NodeUrl(k), StringComparison.OrdinalIgnoreCase)
            && !layout.Options.PortInUse(k);

        foreach (var member in members.Where(m => m.State == "Down"))
        {
            if (Local(member, out var k) && Directory.Exists(layout.NodeDirectory(k)))
            {
                return (k, true);
            }
        }

        foreach (var member in members.Where(m => m.State == "Left").OrderBy(m => Index(m.NodeId)))
        {
            if (Local(member, out var k))
            {
                return (k, false);
            }
        }

        var next = members.Select(m => Index(m.NodeId) ?? 0).Append(layout.Options.Nodes).Max() + 1;
        while (layout.Options.PortInUse(next))
        {
            next++;
        }

        return (next, false);
    }

    private static int? Index(string nodeId) =>
        nodeId.StartsWith("node-", StringComparison.Ordinal) && int.TryParse(nodeId.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture, out var k) && k > 0 ? k : null;

    private static async Task<int> RunNodeAsync(LocalClusterLayout layout, HttpClient http, int index, bool rejoin, int capacity, string? name, ILogger logger)
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        if (!rejoin && Directory.Exists(layout.NodeDirectory(index)))
        {
            // The files of a node that was removed: it joins as a new member, so it starts empty.
            Directory.Delete(layout.NodeDirectory(index), recursive: true);
        }

        using var node = layout.StartNode(index, seeded: rejoin, logger);
        var added = false;
        try
        {
            if (!rejoin)
            {
                if (await node.WaitReadyAsync(http, layout.Options.StartTimeout, stop.Token, "/health/live") != NodeStart.Ready)
                {
                    var why = node.HasExited ? $"it exited with code {node.ExitCode}" : "it did not listen in time";
                    Log.NotStarted(logger, node.NodeId, why);
                    return node.HasExited && node.ExitCode == 2 ? 2 : 1;
                }

                using var add = new HttpRequestMessage(HttpMethod.Post, new Uri(layout.Options.NodeUrl(1) + "/api/nodes"))
                {
                    Content = JsonContent.Create(new { url = node.Url, capacity, name }),
                };
                add.Headers.Add("X-Admin-Key", layout.Keys.AdminKey);
                using var response = await http.SendAsync(add, stop.Token);
                if (!response.IsSuccessStatusCode)
                {
                    var problem = await response.Content.ReadAsStringAsync(stop.Token);
                    Log.NotAdded(logger, node.NodeId, (int)response.StatusCode, problem);
                    return 1;
                }

                added = true;
            }

            if (await node.WaitReadyAsync(http, layout.Options.StartTimeout, stop.Token) != NodeStart.Ready)
            {
                var why = node.HasExited ? $"it exited with code {node.ExitCode}" : "it was not Up within LocalCluster:StartTimeout";
                Log.NotStarted(logger, node.NodeId, why);
                return 1;
            }

            added = true;
            await WaitUpAtSeedAsync(http, layout, node, stop.Token);
            node.MarkRunning();
            var seed = layout.Options.NodeUrl(1);
            Log.Added(logger, node.NodeId, node.Url, rejoin ? "rejoined" : "was added to", seed);
            await node.WaitForExitAsync(stop.Token);
            return 1;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            if (added && !node.HasExited)
            {
                await RemoveAsync(http, layout, node.NodeId, logger);
            }

            await node.StopAsync();
        }

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>Waits (up to <c>LocalCluster:StartTimeout</c>) until node-1 sees the node Up, so "added" means added everywhere that matters.</summary>
    private static async Task WaitUpAtSeedAsync(HttpClient http, LocalClusterLayout layout, NodeProcess node, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + layout.Options.StartTimeout;
        while (DateTime.UtcNow < deadline && !node.HasExited)
        {
            try
            {
                if ((await LocalClusterMember.ListAsync(http, layout, cancellationToken)).Any(m => m.NodeId == node.NodeId && m.State == "Up"))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // node-1 busy: ask again.
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static async Task RemoveAsync(HttpClient http, LocalClusterLayout layout, string nodeId, ILogger logger)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri($"{layout.Options.NodeUrl(1)}/api/nodes/{nodeId}"));
        request.Headers.Add("X-Admin-Key", layout.Keys.AdminKey);
        try
        {
            using var response = await http.SendAsync(request).ConfigureAwait(false);
            Log.Removed(logger, nodeId, (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Log.NotRemoved(logger, nodeId, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.Refused, Level = LogLevel.Critical, Message = "add-node: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(EventId = LogEvents.NotStarted, Level = LogLevel.Critical, Message = "add-node: {NodeId} did not start: {Reason}")]
        public static partial void NotStarted(ILogger logger, string nodeId, string reason);

        [LoggerMessage(EventId = LogEvents.NotAdded, Level = LogLevel.Critical, Message = "add-node: the cluster refused {NodeId} ({Status}): {Problem}")]
        public static partial void NotAdded(ILogger logger, string nodeId, int status, string problem);

        [LoggerMessage(EventId = LogEvents.Added, Level = LogLevel.Information, Message = "{NodeId} on {Url} {How} the local cluster at {Seed}: new clients reach it by round robin and bouncing (Fig. 11). Ctrl+C removes it from the cluster and stops it")]
        public static partial void Added(ILogger logger, string nodeId, string url, string how, string seed);

        [LoggerMessage(EventId = LogEvents.Removed, Level = LogLevel.Information, Message = "{NodeId} removed from the cluster ({Status}); stopping it")]
        public static partial void Removed(ILogger logger, string nodeId, int status);

        [LoggerMessage(EventId = LogEvents.NotRemoved, Level = LogLevel.Warning, Message = "{NodeId} could not be removed from the cluster ({Reason}): it stays a member, shown Down; remove it on the Nodes page")]
        public static partial void NotRemoved(ILogger logger, string nodeId, string reason);
    }
}
