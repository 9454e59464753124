namespace ClusterPortal.LocalCluster;

/// <summary>Options of the local cluster launcher (configuration section <c>LocalCluster</c>, docs/architecture.md §11, §12).</summary>
internal sealed class LocalClusterOptions
{
    /// <summary>The configuration section: <c>LocalCluster</c>.</summary>
    public const string SectionName = "LocalCluster";

    /// <summary>Number of nodes to start (1–9). Default 3.</summary>
    public int Nodes { get; set; } = 3;

    /// <summary>Port of <c>node-1</c>; <c>node-i</c> listens on <c>BasePort + i - 1</c> (1024–65000). Default 5101.</summary>
    public int BasePort { get; set; } = 5101;

    /// <summary>How long a node may take from its start to <c>/health/ready</c> before the launcher (or <c>add-node</c>) gives up; 1 s to 1 h. Default 2 minutes (a loaded machine is slow).</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Set by the launcher on its children: the node stops when this process is gone.</summary>
    public int? ParentPid { get; set; }

    /// <summary>The validation failures, each naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (Nodes is < 1 or > 9)
        {
            failures.Add($"LocalCluster:Nodes must be between 1 and 9 (was {Nodes})");
        }

        if (BasePort is < 1024 or > 65000)
        {
            failures.Add($"LocalCluster:BasePort must be between 1024 and 65000 (was {BasePort})");
        }

        if (StartTimeout < TimeSpan.FromSeconds(1) || StartTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"LocalCluster:StartTimeout must be between 00:00:01 and 01:00:00 (was {StartTimeout})");
        }

        return failures;
    }

    /// <summary>Whether something listens on (or holds) the loopback port of node number <paramref name="index"/>.</summary>
    public bool PortInUse(int index)
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, BasePort + index - 1);
        try
        {
            listener.Start();
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return true;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>The file in the launcher's data directory where a running launcher records its ports for <c>add-node</c>.</summary>
    public const string RunningFileName = "running.json";

    /// <summary>Records these options in <paramref name="dataRoot"/> for <c>add-node</c> (which may run with other defaults).</summary>
    public void WriteRunning(string dataRoot) =>
        File.WriteAllText(Path.Combine(dataRoot, RunningFileName), System.Text.Json.JsonSerializer.Serialize(new { Nodes, BasePort }));

    /// <summary>The ports of the local cluster running from <paramref name="dataRoot"/> (<see cref="WriteRunning"/>), or null.</summary>
    public static LocalClusterOptions? ReadRunning(string dataRoot)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dataRoot, RunningFileName)));
            return new LocalClusterOptions { Nodes = json.RootElement.GetProperty(nameof(Nodes)).GetInt32(), BasePort = json.RootElement.GetProperty(nameof(BasePort)).GetInt32() };
        }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The loopback URL of node number <paramref name="index"/> (1-based).</summary>
    public string NodeUrl(int index) => $"http://127.0.0.1:{BasePort + index - 1}";
}
