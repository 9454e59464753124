namespace ClusterPortal.LocalCluster;

/// <summary>Options of the local cluster launcher (configuration section <c>LocalCluster</c>, DESIGN.md §11, §12).</summary>
internal sealed class LocalClusterOptions
{
    /// <summary>The configuration section: <c>LocalCluster</c>.</summary>
    public const string SectionName = "LocalCluster";

    /// <summary>Number of nodes to start (1–9). Default 3.</summary>
    public int Nodes { get; set; } = 3;

    /// <summary>Port of <c>node-1</c>; <c>node-i</c> listens on <c>BasePort + i - 1</c> (1024–65000). Default 5101.</summary>
    public int BasePort { get; set; } = 5101;

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

        return failures;
    }

    /// <summary>The loopback URL of node number <paramref name="index"/> (1-based).</summary>
    public string NodeUrl(int index) => $"http://127.0.0.1:{BasePort + index - 1}";
}
