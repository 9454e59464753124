namespace ClusterEngine;

/// <summary>
/// Options of one cluster node, bound from the <c>Cluster</c> configuration section (DESIGN.md §12).
/// Validated at start by <see cref="ClusterOptionsValidator"/>; a bad value names its key.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Cluster";

    /// <summary>Stable node identity (1–64 characters of <c>A-Za-z0-9._-</c>); unset means "start a local cluster".</summary>
    public string? NodeId { get; set; }

    /// <summary>Display name; defaults to the node id.</summary>
    public string? NodeName { get; set; }

    /// <summary>Absolute http(s) URL peers and clients use for this node; defaults to the first listening address.</summary>
    public string? AdvertisedUrl { get; set; }

    /// <summary>Clients this node can serve as primary. Default 10000; must be &gt; 0.</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>URLs of nodes to join.</summary>
    public IList<string> Seeds { get; } = [];

    /// <summary>Shared secret for the backplane and client tokens (at least 16 characters).</summary>
    public string? Key { get; set; }

    /// <summary>Fraction of capacity (0 &lt; x ≤ 1) from which new clients are bounced. Default 0.8 (patent Fig. 4, step 460).</summary>
    public double AdmissionThreshold { get; set; } = 0.8;

    /// <summary>Bounces allowed for one new client (≥ 0). Default 1: a bounced-to node may not bounce again (Fig. 4, step 485).</summary>
    public int MaxBounces { get; set; } = 1;

    /// <summary>Fraction (0 &lt; x ≤ 1) of <see cref="MaxConcurrentRequests"/> at or above which the node is unavailable (Fig. 6, step 640). Default 0.8.</summary>
    public double BusyThreshold { get; set; } = 0.8;

    /// <summary>In-flight client requests the node accepts (≥ 1). Default 1000.</summary>
    public int MaxConcurrentRequests { get; set; } = 1000;

    /// <summary>Status broadcast period. Default 250 ms.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Silence after which a peer is Down; must exceed <see cref="HeartbeatInterval"/>. Default 1 s.</summary>
    public TimeSpan FailureTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Unseen clients are removed after this. Default 7 days.</summary>
    public TimeSpan ClientIdleTimeout { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Directory for this node's SQLite databases and keys. Default <c>./data/{NodeId}</c>.</summary>
    public string? DataDirectory { get; set; }
}
