using System.Diagnostics;
using System.Text;

namespace ClusterPortal.Tests.Support;

/// <summary>The portal (<c>dotnet ClusterPortal.dll …</c>) as an OS process with its output captured; killed with its children on dispose.</summary>
public sealed class PortalProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    private PortalProcess(Process process) => Process = process;

    public Process Process { get; }

    /// <summary>Each line of output as it arrives (on the reader's thread): for a test that must act at a precise moment.</summary>
    public event Action<string>? LineReceived;

    /// <summary>Standard output and error so far, interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the portal in <paramref name="workingDirectory"/> with <paramref name="args"/> (no ASPNETCORE_URLS from the test host).</summary>
    public static PortalProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    /// <summary>Starts the portal with extra environment variables.</summary>
    public static PortalProcess Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ProcessCluster.PortalDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove(ClusterPortal.Simulation.SimulateCommand.AdminKeyVariable);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var portal = new PortalProcess(new Process { StartInfo = start });
        portal.Process.OutputDataReceived += (_, e) => portal.Append(e.Data);
        portal.Process.ErrorDataReceived += (_, e) => portal.Append(e.Data);
        portal.Process.Start();
        portal.Process.BeginOutputReadLine();
        portal.Process.BeginErrorReadLine();
        return portal;
    }

    /// <summary>Runs the portal to its end (at most <paramref name="seconds"/>).</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, int seconds, params string[] args) =>
        RunAsync(workingDirectory, null, seconds, args);

    /// <summary>Runs the portal to its end with extra environment variables.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, int seconds, params string[] args)
    {
        using var portal = Start(workingDirectory, environment, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await portal.Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"'ClusterPortal {string.Join(' ', args)}' did not end within {seconds} s. Output:\n{portal.Output}");
        }

        portal.Process.WaitForExit(); // drains the output
        return (portal.Process.ExitCode, portal.Output);
    }

    /// <summary>Sends SIGTERM and waits for the exit (at most 30 s).</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Process.WaitForExitAsync(timeout.Token);
        Process.WaitForExit();
        return Process.ExitCode;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails naming it, with the output, after <paramref name="seconds"/>.</summary>
    public Task WaitForOutputAsync(string text, int seconds = 240) =>
        Eventually.True(() =>
        {
            Assert.False(Process.HasExited && !Output.Contains(text, StringComparison.Ordinal), $"the process exited (code {(Process.HasExited ? Process.ExitCode : 0)}) before printing '{text}':\n{Output}");
            return Output.Contains(text, StringComparison.Ordinal);
        }, $"output '{text}'", seconds * 1000, () => Output);

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }

        Process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }

            LineReceived?.Invoke(line);
        }
    }
}
