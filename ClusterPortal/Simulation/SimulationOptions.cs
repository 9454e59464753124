namespace ClusterPortal.Simulation;

/// <summary>Settings of a <see cref="LoadSimulator"/> run (docs/architecture.md §11).</summary>
public sealed class SimulationOptions
{
    /// <summary>The cluster's shared address: one or more node base URLs.</summary>
    public IList<Uri> Target { get; } = [];

    /// <summary>Simulated devices, each a <see cref="Client.ClusterClient"/>. Default 50.</summary>
    public int Clients { get; set; } = 50;

    /// <summary>How long the run lasts. Default 60 s.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The admin key (<c>X-Admin-Key</c>) for publishing and changing the simulation's items at the origin.</summary>
    public string AdminKey { get; set; } = "";

    /// <summary>Where <see cref="AdminKey"/> came from, for messages (an option, a variable or a file; never the key).</summary>
    public string AdminKeySource { get; set; } = "the settings";

    /// <summary>Items the run publishes under <see cref="KeyPrefix"/> and requests. Default 100.</summary>
    public int Items { get; set; } = 100;

    /// <summary>Average item size in bytes (sizes vary ±50 %). Default 2048.</summary>
    public int ItemBytes { get; set; } = 2048;

    /// <summary>Zipf exponent of item popularity (item of rank r is requested in proportion to 1/r^s). Default 1.0.</summary>
    public double ZipfExponent { get; set; } = 1.0;

    /// <summary>Fraction (0..1) of the items changed at the origin during the run, spread evenly over it. Default 0.2.</summary>
    public double ChangeShare { get; set; } = 0.2;

    /// <summary>
    /// Items are JSON documents and a change edits one field of one (the devices then get an RFC 9842 delta against
    /// the copy they hold, <c>docs/deltas.md</c>); false (the default): a change replaces the whole item.
    /// </summary>
    public bool SmallEdits { get; set; }

    /// <summary>Chance (0..1) after each request that the device logs off, stays away a moment and logs on again. Default 0.01.</summary>
    public double LogOffChance { get; set; } = 0.01;

    /// <summary>Pause of a device between two requests. Default 100 ms.</summary>
    public TimeSpan ThinkTime { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Let the devices use <c>Prefer: cache-mirror</c> (docs/architecture.md §8). Default false.</summary>
    public bool UseCacheMirror { get; set; }

    /// <summary>Key prefix of the simulation's items at the origin (the operator's own items are never touched). Default <c>sim</c>.</summary>
    public string KeyPrefix { get; set; } = "sim";

    /// <summary>Client id prefix of the simulated devices; a random run id follows it. Default <c>sim</c>.</summary>
    public string ClientPrefix { get; set; } = "sim";

    /// <summary>How often progress is reported. Default 250 ms.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The settings' problems, each naming the option; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Target.Count == 0 || Target.Any(u => !u.IsAbsoluteUri))
        {
            problems.Add("--target needs at least one absolute node URL.");
        }

        if (Clients is < 1 or > 100_000)
        {
            problems.Add($"--clients must be 1–100000 (was {Clients}).");
        }

        if (Duration <= TimeSpan.Zero)
        {
            problems.Add($"--duration must be positive (was {Duration}).");
        }

        if (string.IsNullOrWhiteSpace(AdminKey))
        {
            problems.Add($"no admin key (items are published and changed at the origin): set {SimulateCommand.AdminKeyVariable}, or run where a local cluster keeps data/local-cluster/keys.json.");
        }

        if (Items < 1 || ItemBytes < 1 || ZipfExponent < 0 || ChangeShare is < 0 or > 1 || LogOffChance is < 0 or > 1)
        {
            problems.Add("--items and --item-bytes must be ≥ 1, --zipf ≥ 0, --change-share and --logoff-chance fractions 0..1.");
        }

        return problems;
    }
}
