namespace ClusterEngine.Origin;

/// <summary>Which origin a node reads items from (<c>Origin:Kind</c>, docs/architecture.md §12).</summary>
public enum OriginKind
{
    /// <summary>A directory (<see cref="OriginOptions.Root"/>), the same content on every node. The default.</summary>
    FileSystem = 0,

    /// <summary>An existing web API (<see cref="OriginOptions.BaseUrl"/>), revalidated with conditional requests.</summary>
    Http = 1,
}
