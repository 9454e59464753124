using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using ClusterPortal.LocalCluster;

namespace ClusterPortal.Tests.Support;

/// <summary>The node processes of a <see cref="ProcessCluster"/> and the signals the tests send them.</summary>
public sealed partial class ProcessCluster
{
    /// <summary>One node process; can be killed, frozen, thawed, terminated and restarted on the same port and data directory.</summary>
    public sealed class Node(ProcessCluster cluster, string nodeId, string url, string dataDirectory)
    {
        private const int MaxLines = 300;
        private readonly Queue<string> _lines = new();
        private Process? _process;

        public string NodeId { get; } = nodeId;

        public string Url { get; } = url;

        /// <summary>The node's index in the cluster (0-based).</summary>
        public int Index => cluster.Nodes.IndexOf(this);

        public string DataDirectory { get; } = dataDirectory;

        /// <summary>True while the process runs (safe to ask from another thread while the node is restarted).</summary>
        public bool IsRunning
        {
            get
            {
                var process = _process;
                try
                {
                    return process is { HasExited: false };
                }
                catch (InvalidOperationException)
                {
                    return false; // replaced by a restart a moment ago
                }
            }
        }

        public int Pid => _process?.Id ?? 0;

        /// <summary>Starts (or restarts) the process on the same port and data directory, with <paramref name="extra"/> arguments last.</summary>
        public void Start(params string[] extra)
        {
            Assert.False(IsRunning, $"{NodeId} is already running");
            var previous = _process;
            var dll = PortalDll;
            var portalDir = Path.GetDirectoryName(dll)!;
            var launcher = cluster.Hosting?.Launcher(Index) ?? [];
            var start = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment.Remove("ASPNETCORE_URLS");
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            string[] args =
            [
                .. launcher.Skip(1),
                .. launcher.Count > 0 ? ["dotnet"] : Array.Empty<string>(),
                dll,
                $"--Cluster:NodeId={NodeId}",
                $"--urls={Url}",
                $"--Cluster:Key={ClusterKey}",
                $"--Portal:AdminKey={AdminKey}",
                $"--Cluster:DataDirectory={DataDirectory}",
                $"--Origin:Root={Path.Combine(portalDir, "SampleContent")}",
                $"--contentRoot={portalDir}",
                // The node stops by itself when the test process is gone (no orphans after a crashed test run).
                string.Create(CultureInfo.InvariantCulture, $"--LocalCluster:ParentPid={Environment.ProcessId}"),
                // PROCESS_CLUSTER_LOG=Information (say) to see more of the nodes' logs in failure messages.
                $"--Logging:LogLevel:Default={Environment.GetEnvironmentVariable("PROCESS_CLUSTER_LOG") ?? "Warning"}",
                "--Logging:LogLevel:Microsoft.AspNetCore.StaticFiles=Error",
                "--Logging:Console:FormatterName=simple",
                "--Logging:Console:FormatterOptions:SingleLine=true",
            ];
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }

            var seeds = cluster.Hosting?.Seeds(Index) ?? (cluster.Nodes[0] != this ? [cluster.Nodes[0].Url] : []);
            for (var s = 0; s < seeds.Count; s++)
            {
                start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--Cluster:Seeds:{s}={seeds[s]}"));
            }

            foreach (var a in cluster.ExtraArgs.Concat(cluster.Hosting?.NodeArgs(Index) ?? []).Concat(extra))
            {
                start.ArgumentList.Add(a);
            }

            var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            previous?.Dispose();
            Append($"[harness] started pid {process.Id}");
        }

        /// <summary>Waits for <c>/health/ready</c> = 200.</summary>
        public Task WaitReadyAsync(int timeoutMs = 60_000) => Eventually.True(async () =>
        {
            Assert.True(IsRunning, $"{NodeId} exited:\n{Tail()}");
            try
            {
                using var response = await cluster.Http.GetAsync(new Uri(Url + "/health/ready"));
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, $"{NodeId} ready", timeoutMs, cluster.Describe);

        /// <summary>The exit code once the process has exited; null while it runs (or before it started).</summary>
        public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

        /// <summary>Waits for the process to exit on its own; fails naming the node after <paramref name="timeoutMs"/>.</summary>
        public async Task<int> WaitExitAsync(int timeoutMs)
        {
            using var timeout = new CancellationTokenSource(timeoutMs);
            try
            {
                await _process!.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{NodeId} ({Url}) did not exit within {timeoutMs} ms:\n{Tail()}");
            }

            _process.WaitForExit(); // drains the output
            return _process.ExitCode;
        }

        /// <summary>The status code of <paramref name="path"/> (e.g. <c>/health/live</c>), or null when nothing answers.</summary>
        public async Task<HttpStatusCode?> ProbeAsync(string path)
        {
            try
            {
                using var response = await cluster.Http.GetAsync(new Uri(Url + path));
                return response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return null;
            }
        }

        /// <summary><c>kill -9</c>: gone at once, no goodbye.</summary>
        public void Kill()
        {
            Append("[harness] SIGKILL");
            _process!.Kill();
            _process.WaitForExit(10_000);
        }

        /// <summary>
        /// SIGSTOP: the process is frozen (sockets stay open, nothing answers). Returns once the kernel shows every thread
        /// of it stopped: <c>kill</c> returns as soon as the signal is queued, and one thread of the process then has to
        /// run to stop the others — on a loaded 2-core machine the others went on for milliseconds (CI saw a request sent
        /// 2 ms after <c>kill</c> returned answered by the "frozen" node).
        /// </summary>
        public void Freeze()
        {
            Append("[harness] SIGSTOP");
            Assert.Equal(0, NativeMethods.Kill(Pid, NativeMethods.SigStop));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (RunningThreads() is { Count: > 0 } running)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{NodeId} (pid {Pid}): threads still not stopped 10 s after SIGSTOP: {string.Join(", ", running)}");
                }

                Thread.Yield();
            }

            Append("[harness] every thread stopped");
            IsFrozen = true;
        }

        /// <summary>The process's threads that the kernel does not show stopped (state other than T or t in /proc/{pid}/task/*/stat).</summary>
        private List<string> RunningThreads()
        {
            var running = new List<string>();
            foreach (var task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
            {
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(task, "stat"));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue; // the thread ended meanwhile
                }

                var state = stat[(stat.LastIndexOf(')') + 2)..][0];
                if (state is not ('T' or 't' or 'Z' or 'X'))
                {
                    running.Add($"{Path.GetFileName(task)}:{state}");
                }
            }

            return running;
        }

        /// <summary>SIGCONT: the frozen process resumes.</summary>
        public void Thaw()
        {
            Append("[harness] SIGCONT");
            Assert.Equal(0, NativeMethods.Kill(Pid, NativeMethods.SigCont));
            IsFrozen = false;
        }

        /// <summary>True between <see cref="Freeze"/> and <see cref="Thaw"/>.</summary>
        public bool IsFrozen { get; private set; }

        /// <summary>SIGTERM (graceful leave), waiting up to <paramref name="timeoutMs"/> for the exit.</summary>
        public async Task TerminateAsync(int timeoutMs = 20_000)
        {
            Append("[harness] SIGTERM");
            Assert.True(ProcessSignals.Terminate(_process!));
            using var timeout = new CancellationTokenSource(timeoutMs);
            await _process!.WaitForExitAsync(timeout.Token);
        }

        /// <summary>Every line the process writes, as it comes (the tail keeps only the last few hundred).</summary>
        public event Action<string>? LineWritten;

        public string Tail()
        {
            lock (_lines)
            {
                return string.Join("\n", _lines);
            }
        }

        internal void ForceStop()
        {
            if (_process is null)
            {
                return;
            }

            try
            {
                if (!_process.HasExited)
                {
                    // A frozen process must be resumed to die cleanly under SIGKILL? (SIGKILL works on stopped processes too.)
                    _process.Kill();
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            _process.Dispose();
            _process = null;
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
                while (_lines.Count > MaxLines)
                {
                    _lines.Dequeue();
                }
            }

            LineWritten?.Invoke(line);
        }
    }

    private static class NativeMethods
    {
        public const int SigStop = 19;
        public const int SigCont = 18;

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
    }
}
