using System.Globalization;

namespace ClusterPortal.LocalCluster;

/// <summary>
/// Where the local cluster lives and how one of its nodes is started: <c>node-i</c> on
/// <c>http://127.0.0.1:{LocalCluster:BasePort + i - 1}</c> with its data in <c>{DataRoot}/node-i</c>, the shared
/// content as its origin, the keys by environment. Used by the launcher and by <c>add-node</c>.
/// </summary>
/// <param name="Options">The launcher options (ports).</param>
/// <param name="Keys">The cluster and admin keys.</param>
/// <param name="KeysPath">The keys file (named in hand-restart hints, never printed).</param>
/// <param name="DataRoot">The launcher's data directory (absolute).</param>
/// <param name="ContentRoot">The shared file-system origin of every node.</param>
/// <param name="PassThrough">The operator's configuration switches for every node.</param>
internal sealed record LocalClusterLayout(
    LocalClusterOptions Options, LocalClusterKeys Keys, string KeysPath, string DataRoot, string ContentRoot, IReadOnlyList<string> PassThrough)
{
    /// <summary>The node id of node number <paramref name="index"/>.</summary>
    public static string NodeId(int index) => string.Create(CultureInfo.InvariantCulture, $"node-{index}");

    /// <summary>The data directory of node number <paramref name="index"/>.</summary>
    public string NodeDirectory(int index) => Path.Combine(DataRoot, NodeId(index));

    /// <summary>Starts node number <paramref name="index"/>; <paramref name="seeded"/> makes it join through node-1 (an added node is not seeded: the operator adds it).</summary>
    public NodeProcess StartNode(int index, bool seeded, ILogger logger)
    {
        var nodeId = NodeId(index);
        var url = Options.NodeUrl(index);
        var arguments = new List<string>
        {
            $"--Cluster:NodeId={nodeId}",
            $"--urls={url}",
            $"--Cluster:DataDirectory={NodeDirectory(index)}",
            $"--Origin:Root={ContentRoot}",
            // One operator, one machine, one dashboard login for all its nodes (127.0.0.1 cookies reach every port): the
            // local cluster shares its DataProtection keys deliberately; a node of a real cluster keeps its own.
            $"--Portal:DataProtectionKeysDirectory={Path.Combine(DataRoot, "dataprotection-keys")}",
            // appsettings.json and wwwroot live beside the portal, whatever the working directory.
            $"--contentRoot={AppContext.BaseDirectory}",
            string.Create(CultureInfo.InvariantCulture, $"--LocalCluster:ParentPid={Environment.ProcessId}"),
            // Relay warnings and up, plus the node's start-up summary, one line each.
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:ClusterPortal.Hosting.StartupSummary=Information",
        };
        if (seeded)
        {
            arguments.Add($"--Cluster:Seeds:0={Options.NodeUrl(1)}");
        }

        // Secrets go by environment, not on the command line: `ps` shows every user a process's arguments. So does a secret
        // given to the launcher itself (--Cluster:AcceptedKeys:0=…, --Cluster:Key=…): it reaches the nodes the same way, over
        // the keys file's (found by attack: it was on every node's command line and in the "restart it by hand" line).
        var secrets = new Dictionary<string, string> { ["Cluster__Key"] = Keys.ClusterKey, ["Portal__AdminKey"] = Keys.AdminKey };
        for (var i = 0; i < PassThrough.Count; i++)
        {
            var token = PassThrough[i];
            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var name = (equals > 0 ? token[..equals] : token).TrimStart('-', '/');
            if (!Cli.ConfigurationKeys.IsSecret(name.Replace("__", ":", StringComparison.Ordinal)))
            {
                arguments.Add(token);
            }
            else if (equals > 0)
            {
                secrets[name.Replace(":", "__", StringComparison.Ordinal)] = token[(equals + 1)..];
            }
            else if (i + 1 < PassThrough.Count && !PassThrough[i + 1].StartsWith('-'))
            {
                secrets[name.Replace(":", "__", StringComparison.Ordinal)] = PassThrough[++i];
            }
        }

        return NodeProcess.Start(nodeId, url, arguments, secrets, KeysPath, logger);
    }
}
