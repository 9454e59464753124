namespace ClusterEngine.Origin;

/// <summary>
/// Options of the origin and its in-memory cache (configuration section <c>Origin</c>, docs/architecture.md §8 and §12).
/// Validated at start by <see cref="OriginOptionsValidator"/>.
/// </summary>
public sealed class OriginOptions
{
    /// <summary>The configuration section: <c>Origin</c>.</summary>
    public const string SectionName = "Origin";

    /// <summary>Which origin. Default <see cref="OriginKind.FileSystem"/>.</summary>
    public OriginKind Kind { get; set; } = OriginKind.FileSystem;

    /// <summary>File-system origin root directory; required for <see cref="OriginKind.FileSystem"/> (the portal defaults it to its sample content).</summary>
    public string? Root { get; set; }

    /// <summary>HTTP origin base URL (absolute http or https); required for <see cref="OriginKind.Http"/>. Item keys are appended to it.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Bytes of item content the in-memory origin cache keeps (least recently used out). Default 64 MiB; 0 disables caching; at most 16 GiB.</summary>
    public long CacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long a cached item is served before the origin is asked again whether it changed. Default 00:00:01; 0 to 1 hour.</summary>
    public TimeSpan RevalidateInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest item the origin reads, in bytes. Default 16 MiB; 1 byte to 1 GiB.</summary>
    public long MaxItemBytes { get; set; } = 16L * 1024 * 1024;
}
