using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ClusterPortal.ClusterBench;

/// <summary>One run of <c>wrk</c> (Debian's package) against a URL with fixed request headers, and what it reported.</summary>
internal static partial class Wrk
{
    /// <summary>Requests answered, the rate, and the answers that were not 2xx/3xx.</summary>
    public sealed record Result(long Requests, double PerSecond, long Errors);

    public static async Task<Result> RunAsync(string url, IReadOnlyDictionary<string, string> headers, int connections, TimeSpan duration, string scratch)
    {
        var script = Path.Combine(scratch, $"wrk-{Guid.NewGuid():N}.lua");
        await File.WriteAllLinesAsync(script, headers.Select(h => $"wrk.headers[\"{h.Key}\"] = [[{h.Value}]]"));
        try
        {
            return await RunScriptAsync(url, script, connections, duration);
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>wrk with a Lua script of its own (e.g. <c>wire/announce.lua</c>, a new client id per request).</summary>
    public static async Task<Result> RunScriptAsync(string url, string script, int connections, TimeSpan duration)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-t1", $"-c{connections}", string.Create(CultureInfo.InvariantCulture, $"-d{duration.TotalSeconds:0}s"), "-s", script, url })
        {
            start.ArgumentList.Add(a);
        }

        using var wrk = Process.Start(start)!;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        var requests = RequestsLine().Match(output);
        var rate = RateLine().Match(output);
        if (!requests.Success || !rate.Success)
        {
            throw new InvalidOperationException($"wrk printed no result for {url}:\n{output}{await wrk.StandardError.ReadToEndAsync()}");
        }

        var errors = ErrorsLine().Match(output);
        return new Result(long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
            errors.Success ? long.Parse(errors.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RateLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex ErrorsLine();
}
