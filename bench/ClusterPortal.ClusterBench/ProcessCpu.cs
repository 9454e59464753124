using System.Globalization;

namespace ClusterPortal.ClusterBench;

/// <summary>CPU time of processes and their children from <c>/proc</c> (user + system, all threads), in microseconds.</summary>
internal static class ProcessCpu
{
    private static readonly double MicrosecondsPerTick = 1_000_000.0 / 100; // USER_HZ is 100 on Linux

    /// <summary>Total CPU of <paramref name="pids"/> and every descendant of them.</summary>
    public static double Microseconds(IEnumerable<int> pids) => WithDescendants(pids).Sum(Of);

    /// <summary>The system's load average over one minute.</summary>
    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static double Of(int pid)
    {
        try
        {
            var fields = AfterName(File.ReadAllText($"/proc/{pid}/stat"));
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * MicrosecondsPerTick;
        }
        catch (IOException)
        {
            return 0; // exited
        }
    }

    private static HashSet<int> WithDescendants(IEnumerable<int> roots)
    {
        var all = new HashSet<int>(roots);
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid))
            {
                try
                {
                    parents[pid] = int.Parse(AfterName(File.ReadAllText($"{dir}/stat"))[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // Exited while listing.
                }
            }
        }

        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                grew |= all.Contains(parent) && all.Add(pid);
            }
        }

        return all;
    }

    /// <summary>The fields after <c>(comm)</c>: state is [0], ppid [1], utime [11], stime [12].</summary>
    private static string[] AfterName(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
}
