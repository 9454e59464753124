using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using ClusterPortal.Hosting;
using ClusterPortal.LocalCluster;
using ClusterPortal.Simulation;

namespace ClusterPortal.Cli;

/// <summary>
/// The portal's command line (docs/architecture.md §11), on System.CommandLine: without a verb, a local cluster (or one node
/// when <c>Cluster:NodeId</c> is configured); <c>node</c>, one node; <c>add-node</c>, one more local node added to
/// the running local cluster (patent Fig. 11); <c>simulate</c>, the load simulator. Every verb has <c>--help</c>
/// (exit 0, starts nothing). Configuration switches (<c>--Section:Key=value</c>) are accepted for every key of
/// <see cref="ConfigurationKeys"/> and refused otherwise; an unknown option or a bad value ends with the reason,
/// the valid options and exit code 2, never a stack trace.
/// </summary>
internal static class PortalCommandLine
{
    /// <summary>Exit code for bad input on the command line.</summary>
    public const int BadInput = 2;

    /// <summary>Runs the command <paramref name="args"/> ask for.</summary>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var keys = ConfigurationKeys.Default;
        var root = Create(keys, args);
        var parse = root.Parse(args);
        if (parse.Action is not SwitchesHelpAction)
        {
            var command = parse.CommandResult.Command;
            var problems = parse.Errors.Select(e => e.Message)
                .Concat(command.TreatUnmatchedTokensAsErrors
                    ? parse.UnmatchedTokens.Select(t => $"unknown option or argument '{t}'.")
                    : keys.Problems(parse.UnmatchedTokens))
                .Distinct()
                .ToList();
            if (problems.Count > 0)
            {
                await WriteProblemsAsync(command, keys, problems);
                return BadInput;
            }
        }

        // The host handles SIGINT/SIGTERM and exceptions itself (and WebApplicationFactory stops it from inside Build).
        return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }

    /// <summary>The command tree; <paramref name="args"/> are what the host of a node or the launcher gets.</summary>
    internal static RootCommand Create(ConfigurationKeys keys, string[] args)
    {
        var urls = UrlsOption();
        var root = new RootCommand(
            "ClusterPortal: a scalable server cluster. Without a verb it starts a local cluster of LocalCluster:Nodes nodes "
            + "(or, with --Cluster:NodeId, one node). Configuration switches --Section:Key=value set any documented key (see README, Configuration).")
        {
            urls,
        };
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction((parse, _) => RunDefaultAsync(parse.GetValue(urls), args));

        var nodeUrls = UrlsOption();
        var node = new Command("node", "Run one node of a cluster, the way each machine of a production cluster runs: needs --Cluster:NodeId, --Cluster:Key, --Portal:AdminKey; peers with --Cluster:Seeds:0=URL.")
        {
            nodeUrls,
        };
        node.TreatUnmatchedTokensAsErrors = false;
        node.SetAction((_, _) => RunNodeAsync(WithoutVerb(args, node.Name)));

        root.Add(node);
        root.Add(AddNodeCommand.Create());
        root.Add(SimulateCommand.Create());

        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new SwitchesHelpAction((HelpAction)help.Action!, keys);
        return root;
    }

    private static Option<string> UrlsOption() => new("--urls")
    {
        Description = "Address(es) one node listens on, e.g. http://127.0.0.1:5101 (ASP.NET Core's urls; ';' between several)",
    };

    private static Task<int> RunDefaultAsync(string? urls, string[] args)
    {
        if (!string.IsNullOrWhiteSpace(LocalClusterLauncher.Configuration(args)["Cluster:NodeId"]))
        {
            return NodeHost.RunAsync(args);
        }

        if (urls is not null)
        {
            Console.Error.WriteLine("--urls is for one node (give --Cluster:NodeId too); a local cluster listens on LocalCluster:BasePort and the ports after it.");
            return Task.FromResult(BadInput);
        }

        return LocalClusterLauncher.RunAsync(args);
    }

    private static Task<int> RunNodeAsync(string[] args)
    {
        if (string.IsNullOrWhiteSpace(LocalClusterLauncher.Configuration(args)["Cluster:NodeId"]))
        {
            Console.Error.WriteLine("node: Cluster:NodeId is required (e.g. --Cluster:NodeId=node-1); run without a verb for a local cluster.");
            return Task.FromResult(BadInput);
        }

        return NodeHost.RunAsync(args);
    }

    /// <summary><paramref name="args"/> without the first occurrence of the verb (the host must not see it).</summary>
    internal static string[] WithoutVerb(string[] args, string verb)
    {
        var index = Array.IndexOf(args, verb);
        return index < 0 ? args : [.. args[..index], .. args[(index + 1)..]];
    }

    private static async Task WriteProblemsAsync(Command command, ConfigurationKeys keys, IReadOnlyList<string> problems)
    {
        var name = command is RootCommand ? "ClusterPortal" : command.Name;
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"{name}: {problem}");
        }

        await Console.Error.WriteLineAsync($"Valid options of {(command is RootCommand ? "ClusterPortal" : $"'{command.Name}'")}:");
        foreach (var option in command.Options.Where(o => !o.Hidden))
        {
            await Console.Error.WriteLineAsync($"  {string.Join(", ", option.Aliases.Prepend(option.Name).Distinct())}");
        }

        if (command is RootCommand)
        {
            await Console.Error.WriteLineAsync($"  verbs: {string.Join(", ", command.Subcommands.Select(c => c.Name))} (each with --help)");
        }

        if (!command.TreatUnmatchedTokensAsErrors)
        {
            foreach (var line in keys.Describe())
            {
                await Console.Error.WriteLineAsync($"  {line}");
            }
        }
    }

    /// <summary>The standard help, then (for verbs that take them) the configuration switches.</summary>
    private sealed class SwitchesHelpAction(HelpAction help, ConfigurationKeys keys) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            help.Invoke(parseResult);
            if (!parseResult.CommandResult.Command.TreatUnmatchedTokensAsErrors)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Configuration switches (also from appsettings.json or the environment, e.g. Cluster__Capacity=5000):");
                foreach (var line in keys.Describe())
                {
                    output.WriteLine($"  {line}");
                }

                output.WriteLine();
            }

            return 0;
        }
    }
}
