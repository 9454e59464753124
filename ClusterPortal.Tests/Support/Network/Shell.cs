using System.Diagnostics;

namespace ClusterPortal.Tests.Support.Network;

/// <summary>Runs the network tools of the harness (<c>ip</c>, <c>iptables</c>, <c>getent</c>) and fails loudly with their output.</summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; its exit code and standard output plus error.</summary>
    public static Task<(int Code, string Output)> TryRunAsync(string file, params string[] args) => TryRunWithInputAsync(null, file, args);

    /// <summary>Runs the command with <paramref name="input"/> (null: none) on its standard input.</summary>
    public static async Task<(int Code, string Output)> TryRunWithInputAsync(string? input, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Runs the command; throws naming it, with its output, when it exits non-zero.</summary>
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var (code, output) = await TryRunAsync(file, args);
        return code == 0 ? output : throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' exited {code}: {output.Trim()}");
    }

    /// <summary>The full path of <paramref name="name"/> on PATH (or the sbin folders root's PATH has), or null.</summary>
    public static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
