using System.Diagnostics;
using System.Text;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// The managed stacks of this test process, from <c>dotnet-stack</c> (a local tool, .config/dotnet-tools.json), for a
/// wait that failed: which thread of an in-process node was still busy and where. Only threads with a frame of the node
/// (ClusterPortal, ClusterEngine, Hangfire, the generic host) are kept, at most <c>limit</c> characters.
/// Never throws: when the tool cannot run, the text says why.
/// </summary>
public static class StackReport
{
    public static string OfThisProcess(int limit = 12_000)
    {
        try
        {
            var start = new ProcessStartInfo("dotnet", ["tool", "run", "dotnet-stack", "report", "-p", Environment.ProcessId.ToString()])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory, // the tool manifest is found from here up
            };
            using var tool = Process.Start(start)!;
            var output = tool.StandardOutput.ReadToEndAsync();
            var error = tool.StandardError.ReadToEndAsync();
            if (!tool.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                tool.Kill(entireProcessTree: true);
                return "(dotnet-stack did not answer within 60 s)";
            }

            var threads = output.Result.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Where(t => t.Contains("ClusterPortal", StringComparison.Ordinal) && !t.Contains("StackReport", StringComparison.Ordinal)
                            || t.Contains("ClusterEngine", StringComparison.Ordinal)
                            || t.Contains("Hangfire", StringComparison.Ordinal)
                            || t.Contains("Microsoft.Extensions.Hosting", StringComparison.Ordinal));
            var text = new StringBuilder();
            foreach (var thread in threads)
            {
                text.Append(thread.Trim()).Append("\n\n");
            }

            var report = text.Length > 0 ? text.ToString() : $"(no node thread in dotnet-stack's report; exit {tool.ExitCode}: {error.Result.Trim()})";
            return report.Length <= limit ? report : report[..limit] + "\n…";
        }
        catch (Exception ex)
        {
            return $"(dotnet-stack could not run: {ex.Message})";
        }
    }
}
