using System.Globalization;
using System.Text.Json;
using ClusterPortal.LocalCluster;
using Spectre.Console;

namespace ClusterPortal.Simulation;

/// <summary>
/// <c>simulate --clients N --duration 60s --target URL [--target URL…] [--admin-key KEY] [--items 100]
/// [--item-bytes 2048] [--change-share 0.2] [--logoff-chance 0.01] [--think 100ms] [--zipf 1.0] [--mirror]</c>:
/// runs a <see cref="LoadSimulator"/> with a live status line and prints its summary (DESIGN.md §11).
/// Without <c>--admin-key</c>, the local cluster's key (<c>data/local-cluster/keys.json</c>) is used when present.
/// </summary>
internal static class SimulateCommand
{
    public const string Verb = "simulate";

    public static bool IsRequested(string[] args) => args.Length > 0 && string.Equals(args[0], Verb, StringComparison.OrdinalIgnoreCase);

    public static async Task<int> RunAsync(string[] args)
    {
        SimulationOptions options;
        try
        {
            options = Parse(args.Skip(1).ToArray());
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"simulate: {ex.Message}");
            return 2;
        }

        if (options.Problems() is { Count: > 0 } problems)
        {
            await Console.Error.WriteLineAsync("simulate: " + string.Join("\n  ", problems));
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        var simulator = new LoadSimulator(options);
        Console.WriteLine($"Simulating {options.Clients} clients for {options.Duration.TotalSeconds:0} s against {string.Join(", ", options.Target)} ({options.Items} items; Ctrl+C ends early)");
        SimulationSnapshot summary;
        try
        {
            summary = await RunWithStatusAsync(simulator, stop.Token);
        }
        catch (Client.ClusterClientException ex)
        {
            await Console.Error.WriteLineAsync($"simulate: {ex.Message}");
            return 1;
        }

        Console.WriteLine(summary.Summary());
        return summary.Errors == 0 ? 0 : 3;
    }

    /// <summary>A status line updated in place on a terminal; a line every 5 s when the output is redirected.</summary>
    private static async Task<SimulationSnapshot> RunWithStatusAsync(LoadSimulator simulator, CancellationToken cancellationToken)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
        {
            var last = DateTime.MinValue;
            return await simulator.RunAsync(new SyncProgress(snapshot =>
            {
                if (!snapshot.Finished && DateTime.UtcNow - last >= TimeSpan.FromSeconds(5))
                {
                    last = DateTime.UtcNow;
                    Console.WriteLine(snapshot.StatusLine());
                }
            }), cancellationToken);
        }

        SimulationSnapshot? result = null;
        await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync("starting…", async context =>
        {
            result = await simulator.RunAsync(new SyncProgress(snapshot => context.Status(Markup.Escape(snapshot.StatusLine()))), cancellationToken);
        });
        return result!;
    }

    internal static SimulationOptions Parse(string[] args)
    {
        var options = new SimulationOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{name} needs a value.");
            switch (name)
            {
                case "--clients": options.Clients = Int(name, Value()); break;
                case "--duration": options.Duration = Duration(name, Value()); break;
                case "--target": options.Target.Add(Url(name, Value())); break;
                case "--admin-key": options.AdminKey = Value(); break;
                case "--items": options.Items = Int(name, Value()); break;
                case "--item-bytes": options.ItemBytes = Int(name, Value()); break;
                case "--change-share": options.ChangeShare = Number(name, Value()); break;
                case "--logoff-chance": options.LogOffChance = Number(name, Value()); break;
                case "--zipf": options.ZipfExponent = Number(name, Value()); break;
                case "--think": options.ThinkTime = Duration(name, Value()); break;
                case "--mirror": options.UseCacheMirror = true; break;
                default: throw new FormatException($"unknown option '{name}' (see README, \"Load simulator\").");
            }
        }

        if (options.Target.Count == 0)
        {
            options.Target.Add(new Uri("http://127.0.0.1:5101"));
        }

        if (string.IsNullOrEmpty(options.AdminKey))
        {
            options.AdminKey = LocalAdminKey() ?? "";
        }

        return options;
    }

    /// <summary>The local cluster's generated admin key, when this directory has one.</summary>
    private static string? LocalAdminKey()
    {
        var path = Path.Combine(LocalClusterLauncher.DataDirectory, "keys.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var keys = JsonDocument.Parse(File.ReadAllText(path));
        return keys.RootElement.TryGetProperty("adminKey", out var key) ? key.GetString() : null;
    }

    /// <summary><c>60s</c>, <c>500ms</c>, <c>2m</c>, a plain number of seconds (<c>60</c>), or a TimeSpan (<c>00:01:00</c>).</summary>
    internal static TimeSpan Duration(string name, string text)
    {
        static double N(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        try
        {
            return text switch
            {
                _ when text.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(N(text[..^2])),
                _ when text.EndsWith('s') => TimeSpan.FromSeconds(N(text[..^1])),
                _ when text.EndsWith('m') => TimeSpan.FromMinutes(N(text[..^1])),
                _ when !text.Contains(':', StringComparison.Ordinal) => TimeSpan.FromSeconds(N(text)), // "10" is 10 s, not TimeSpan's 10 days
                _ => TimeSpan.Parse(text, CultureInfo.InvariantCulture),
            };
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw new FormatException($"{name} must be a duration like 60s, 500ms, 2m or 00:01:00 (was '{text}').", ex);
        }
    }

    private static int Int(string name, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"{name} must be a whole number (was '{text}').");

    private static double Number(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"{name} must be a number (was '{text}').");

    private static Uri Url(string name, string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new FormatException($"{name} must be an absolute http:// or https:// node URL (was '{text}').");

    /// <summary>Reports on the reporting thread (Progress{T} would post to the thread pool and reorder snapshots).</summary>
    private sealed class SyncProgress(Action<SimulationSnapshot> report) : IProgress<SimulationSnapshot>
    {
        public void Report(SimulationSnapshot value) => report(value);
    }
}
