using System.Diagnostics;

namespace ClusterPortal.ClusterBench;

/// <summary>A child OS process (a portal node or the plain YARP forwarder); all are killed at exit.</summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly List<ChildProcess> s_all = [];
    private readonly string _fileName;
    private readonly IReadOnlyList<string> _arguments;
    private readonly string _workingDirectory;
    private Process _process;

    public ChildProcess(string name, string url, string fileName, IReadOnlyList<string> arguments, string workingDirectory)
    {
        Name = name;
        Url = url;
        _fileName = fileName;
        _arguments = arguments;
        _workingDirectory = workingDirectory;
        _process = StartProcess();
        lock (s_all)
        {
            s_all.Add(this);
        }
    }

    public string Name { get; }

    public string Url { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the process again with the same command line (after <see cref="KillHard"/>).</summary>
    public void Restart()
    {
        _process.Dispose();
        _process = StartProcess();
    }

    /// <summary>SIGKILL, waiting for the exit.</summary>
    public void KillHard()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public static void KillAll()
    {
        ChildProcess[] all;
        lock (s_all)
        {
            all = [.. s_all];
        }

        foreach (var child in all)
        {
            try
            {
                if (!child._process.HasExited)
                {
                    // A frozen process still dies on SIGKILL.
                    child._process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
    }

    public void Dispose() => _process.Dispose();

    private Process StartProcess()
    {
        var start = new ProcessStartInfo(_fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _workingDirectory,
        };
        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Relay(e.Data);
        process.ErrorDataReceived += (_, e) => Relay(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Relay(string? line)
    {
        if (!string.IsNullOrEmpty(line))
        {
            Console.Error.WriteLine($"[{Name}] {line}");
        }
    }
}
