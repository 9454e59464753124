using System.Diagnostics;

namespace ClusterPortal.LocalCluster;

/// <summary>
/// One node of the local cluster as a child OS process, started from the same build as the launcher,
/// its output relayed with a <c>[node-i]</c> prefix.
/// </summary>
internal sealed partial class NodeProcess : IDisposable
{
    private static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly ILogger _logger;
    private int _stopping;
    private int _running;

    private NodeProcess(string nodeId, string url, Process process, IReadOnlyDictionary<string, string> secrets, string secretsFile, ILogger logger)
    {
        // The hand-restart command: the same environment name (static web assets of a Development run need it)
        // and the secrets named, never printed (they are in the keys file, readable by its owner only).
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } name ? $"ASPNETCORE_ENVIRONMENT={Quote(name)} " : "";
        var named = string.Concat(secrets.Keys.Select(k => $"{k}=<{(k.StartsWith("Cluster", StringComparison.Ordinal) ? "clusterKey" : "adminKey")} from {secretsFile}> "));
        CommandLine = environment + named + string.Join(' ', new[] { process.StartInfo.FileName }.Concat(process.StartInfo.ArgumentList).Select(Quote));
        NodeId = nodeId;
        Url = url;
        _process = process;
        _logger = logger;
    }

    /// <summary>The node id (<c>node-i</c>).</summary>
    public string NodeId { get; }

    /// <summary>The node's base URL.</summary>
    public string Url { get; }

    /// <summary>The command that started the node (shell-quoted), for restarting it by hand.</summary>
    public string CommandLine { get; }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts the node with <paramref name="arguments"/> (the node's configuration).</summary>
    /// <param name="nodeId">The node id.</param>
    /// <param name="url">The node's base URL.</param>
    /// <param name="arguments">Command-line configuration (nothing secret: other users can list it).</param>
    /// <param name="secrets">Configuration passed as environment variables (<c>Cluster__Key</c>, …), named but not shown in <see cref="CommandLine"/>.</param>
    /// <param name="secretsFile">Where an operator finds the secrets to restart the node by hand.</param>
    /// <param name="logger">Relays the node's output.</param>
    public static NodeProcess Start(string nodeId, string url, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> secrets, string secretsFile, ILogger logger)
    {
        var (fileName, prefix) = Command();
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in prefix.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in secrets)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new NodeProcess(nodeId, url, process, secrets, secretsFile, logger);
        process.OutputDataReceived += (_, e) => node.Relay(e.Data);
        process.ErrorDataReceived += (_, e) => node.Relay(e.Data);
        process.Exited += (_, _) => node.OnExited();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Log.Started(logger, nodeId, process.Id, url);
        return node;
    }

    /// <summary>
    /// The program to run: the running host (<c>dotnet</c> with the portal dll, or the apphost itself),
    /// so that it works from <c>dotnet run</c>, <c>dotnet ClusterPortal.dll</c> and a published folder.
    /// </summary>
    internal static (string FileName, IReadOnlyList<string> Prefix) Command()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of the running process is unknown.");
        var dll = typeof(Program).Assembly.Location;
        var isDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        return isDotnet && dll.Length > 0 ? (host, [dll]) : (host, []);
    }

    /// <summary>Waits until <paramref name="path"/> (<c>/health/ready</c> by default) answers 200, the process exits or <paramref name="timeout"/> passes.</summary>
    public async Task<NodeStart> WaitReadyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken, string path = "/health/ready")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                return NodeStart.Exited;
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Url + path), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return NodeStart.Ready;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // One slow answer.
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        return _process.HasExited ? NodeStart.Exited : NodeStart.TimedOut;
    }

    /// <summary>The node is running: from now on an exit of its own is logged with the command to restart it.</summary>
    public void MarkRunning() => Interlocked.Exchange(ref _running, 1);

    /// <summary>Completes when the process exits.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Stops the node gracefully (SIGTERM), killing it with its process tree after 15 s.</summary>
    public async Task StopAsync()
    {
        Interlocked.Exchange(ref _stopping, 1);
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            ProcessSignals.Terminate(_process);
            using var timeout = new CancellationTokenSource(GracefulStop);
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.Killed(_logger, NodeId, (int)GracefulStop.TotalSeconds);
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _process.Dispose();

    private void Relay(string? line)
    {
        if (!string.IsNullOrEmpty(line))
        {
            Console.Out.WriteLine($"[{NodeId}] {line}");
        }
    }

    private void OnExited()
    {
        if (Volatile.Read(ref _stopping) == 0 && Volatile.Read(ref _running) == 1)
        {
            Log.ExitedOnItsOwn(_logger, NodeId, _process.ExitCode, CommandLine);
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.Started, Level = LogLevel.Information, Message = "Started {NodeId} (pid {Pid}) on {Url}")]
        public static partial void Started(ILogger logger, string nodeId, int pid, string url);

        [LoggerMessage(EventId = LogEvents.ExitedOnItsOwn, Level = LogLevel.Error, Message = "{NodeId} exited on its own with code {ExitCode}; restart it by hand with: {CommandLine}")]
        public static partial void ExitedOnItsOwn(ILogger logger, string nodeId, int exitCode, string commandLine);

        [LoggerMessage(EventId = LogEvents.Killed, Level = LogLevel.Warning, Message = "{NodeId} did not stop within {Seconds} s of SIGTERM: killed")]
        public static partial void Killed(ILogger logger, string nodeId, int seconds);
    }
}

/// <summary>How the start of a <see cref="NodeProcess"/> ended.</summary>
internal enum NodeStart
{
    /// <summary>It answered 200.</summary>
    Ready,

    /// <summary>The process exited (its reason is in its relayed output).</summary>
    Exited,

    /// <summary>It did not answer 200 in time.</summary>
    TimedOut,
}
