using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ClusterPortal.LocalCluster;
using Spectre.Console;

namespace ClusterPortal.Simulation;

/// <summary>
/// The <c>simulate</c> verb: runs a <see cref="LoadSimulator"/> against a running cluster with a live status line
/// and prints its summary (docs/architecture.md §11). The admin key (to publish the simulation's items) comes from
/// <see cref="AdminKeyVariable"/> or the local cluster's <c>data/local-cluster/keys.json</c>; <c>--admin-key</c>
/// still works but is discouraged (every local user can read a command line with <c>ps</c>).
/// </summary>
internal static class SimulateCommand
{
    /// <summary>The verb.</summary>
    public const string Verb = "simulate";

    /// <summary>The environment variable the admin key is read from.</summary>
    public const string AdminKeyVariable = "CLUSTERPORTAL_ADMIN_KEY";

    /// <summary>The verb with its options and action.</summary>
    public static Command Create()
    {
        var options = new VerbOptions();
        var command = new Command(Verb, "Drive simulated devices (the .NET client SDK) against a running cluster; progress, then a summary. Exit 0 without errors, 3 with errors, 1 when the cluster cannot be used, 2 for bad input.");
        foreach (var option in options.All)
        {
            command.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(options.From(parse), cancellationToken));
        return command;
    }

    /// <summary>Parses <c>simulate</c>'s arguments (without the verb) into options, the admin key resolved.</summary>
    /// <exception cref="FormatException">An argument is unknown or not of its option's type (the message names it).</exception>
    internal static SimulationOptions Parse(string[] args)
    {
        var options = new VerbOptions();
        var command = new Command(Verb);
        foreach (var option in options.All)
        {
            command.Add(option);
        }

        var parse = command.Parse(args);
        return parse.Errors.Count > 0 ? throw new FormatException(string.Join(" ", parse.Errors.Select(e => e.Message))) : options.From(parse);
    }

    private static async Task<int> RunAsync(SimulationOptions options, CancellationToken cancellationToken)
    {
        if (options.Problems() is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync($"simulate: {problem}");
            }

            return 2;
        }

        var simulator = new LoadSimulator(options);
        Console.WriteLine($"Simulating {options.Clients} clients for {options.Duration.TotalSeconds:0} s against {string.Join(", ", options.Target)} ({options.Items} items; admin key from {options.AdminKeySource}; Ctrl+C ends early)");
        SimulationSnapshot summary;
        try
        {
            summary = await RunWithStatusAsync(simulator, cancellationToken);
        }
        catch (Client.ClusterClientException ex)
        {
            await Console.Error.WriteLineAsync($"simulate: {ex.Message}{(ex.StatusCode is 401 or 403 ? $" The key came from {options.AdminKeySource}." : "")}");
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

    /// <summary>The admin key and where it came from: the option, <see cref="AdminKeyVariable"/>, or the local cluster's keys file.</summary>
    private static (string Key, string Source) AdminKey(string? option)
    {
        if (!string.IsNullOrEmpty(option))
        {
            return (option, "--admin-key");
        }

        if (Environment.GetEnvironmentVariable(AdminKeyVariable) is { Length: > 0 } fromEnvironment)
        {
            return (fromEnvironment, AdminKeyVariable);
        }

        var path = Path.GetFullPath(Path.Combine(LocalClusterLauncher.DataDirectory, LocalClusterKeys.FileName));
        return File.Exists(path) && LocalClusterKeys.TryRead(path) is { } keys ? (keys.AdminKey, path) : ("", "nowhere");
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
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            throw new FormatException($"{name} must be a duration like 60s, 500ms, 2m or 00:01:00 (was '{text}').", ex);
        }
    }

    private static Uri Url(string name, string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new FormatException($"{name} must be an absolute http:// or https:// node URL (was '{text}').");

    /// <summary>The verb's options (one set per command: an option belongs to the command it was added to).</summary>
    private sealed class VerbOptions
    {
        private readonly Option<int> _clients = new("--clients") { Description = "Simulated devices, 1–100000", DefaultValueFactory = _ => 50 };
        private readonly Option<TimeSpan> _duration = new("--duration")
        {
            Description = "How long the run lasts: 60s, 500ms, 2m, 90 (seconds) or 00:01:30",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(60),
            CustomParser = r => Parsed(r, Duration),
        };

        private readonly Option<Uri[]> _target = new("--target")
        {
            Description = "A node URL of the cluster's shared address; repeat for several [default: http://127.0.0.1:5101]",
            CustomParser = r => r.Tokens.Select(t => Parsed(r, t.Value, Url)).ToArray(),
        };

        private readonly Option<string> _adminKey = new("--admin-key")
        {
            Description = $"Discouraged (every local user sees command lines with ps): set {AdminKeyVariable} instead; without either, the local cluster's data/local-cluster/keys.json",
        };

        private readonly Option<int> _items = new("--items") { Description = "Items published under sim/<run id>/ and requested", DefaultValueFactory = _ => 100 };
        private readonly Option<int> _itemBytes = new("--item-bytes") { Description = "Average item size in bytes (±50 %)", DefaultValueFactory = _ => 2048 };
        private readonly Option<double> _changeShare = new("--change-share") { Description = "Fraction 0..1 of the items changed at the origin during the run", DefaultValueFactory = _ => 0.2 };
        private readonly Option<double> _logOffChance = new("--logoff-chance") { Description = "Chance 0..1 after each request that a device logs off and returns", DefaultValueFactory = _ => 0.01 };
        private readonly Option<double> _zipf = new("--zipf") { Description = "Zipf exponent of item popularity", DefaultValueFactory = _ => 1.0 };
        private readonly Option<TimeSpan> _think = new("--think")
        {
            Description = "Pause of a device between requests: 100ms, 1s, …",
            DefaultValueFactory = _ => TimeSpan.FromMilliseconds(100),
            CustomParser = r => Parsed(r, Duration),
        };

        private readonly Option<bool> _mirror = new("--mirror") { Description = "Devices use Prefer: cache-mirror (the node's mirror decides 304s)" };

        private readonly Option<bool> _smallEdits = new("--small-edits")
        {
            Description = "Items are JSON documents and a change edits one field (sent as an RFC 9842 delta) instead of replacing the whole item",
        };

        public IEnumerable<Option> All => [_clients, _duration, _target, _adminKey, _items, _itemBytes, _changeShare, _smallEdits, _logOffChance, _zipf, _think, _mirror];

        public SimulationOptions From(ParseResult parse)
        {
            var options = new SimulationOptions
            {
                Clients = parse.GetValue(_clients),
                Duration = parse.GetValue(_duration),
                Items = parse.GetValue(_items),
                ItemBytes = parse.GetValue(_itemBytes),
                ChangeShare = parse.GetValue(_changeShare),
                SmallEdits = parse.GetValue(_smallEdits),
                LogOffChance = parse.GetValue(_logOffChance),
                ZipfExponent = parse.GetValue(_zipf),
                ThinkTime = parse.GetValue(_think),
                UseCacheMirror = parse.GetValue(_mirror),
            };
            foreach (var target in parse.GetValue(_target) is { Length: > 0 } targets ? targets : [new Uri("http://127.0.0.1:5101")])
            {
                options.Target.Add(target);
            }

            (options.AdminKey, options.AdminKeySource) = AdminKey(parse.GetValue(_adminKey));
            return options;
        }
    }

    /// <summary>Runs a parser of one token, turning its <see cref="FormatException"/> into a parse error naming the option.</summary>
    private static T Parsed<T>(ArgumentResult result, Func<string, string, T> parse) =>
        Parsed(result, result.Tokens.Count > 0 ? result.Tokens[^1].Value : "", parse);

    private static T Parsed<T>(ArgumentResult result, string text, Func<string, string, T> parse)
    {
        var name = (result.Parent as OptionResult)?.Option.Name ?? "value";
        try
        {
            return parse(name, text);
        }
        catch (FormatException ex)
        {
            result.AddError(ex.Message);
            return default!;
        }
    }

    /// <summary>Reports on the reporting thread (Progress{T} would post to the thread pool and reorder snapshots).</summary>
    private sealed class SyncProgress(Action<SimulationSnapshot> report) : IProgress<SimulationSnapshot>
    {
        public void Report(SimulationSnapshot value) => report(value);
    }
}
