using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ClusterPortal.LocalCluster;

/// <summary>Graceful stop of a child process: SIGTERM on Unix (<see cref="Process.Kill()"/> would be SIGKILL).</summary>
internal static partial class ProcessSignals
{
    private const int SigTerm = 15;

    /// <summary>Asks <paramref name="process"/> to stop: SIGTERM on Unix; on Windows, which has no such signal, it is killed.</summary>
    /// <returns>Whether the request was delivered.</returns>
    public static bool Terminate(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
            return true;
        }

        return NativeMethods.Kill(process.Id, SigTerm) == 0;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
    }
}
