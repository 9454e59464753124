using ClusterEngine;

namespace ClusterPortal.Hosting;

/// <summary>Where a node keeps its files: <c>Cluster:DataDirectory</c>, by default <c>./data/{NodeId}</c> (docs/architecture.md §12).</summary>
internal static class NodeDataDirectory
{
    /// <summary>The node's data directory as configured (relative paths are relative to the working directory).</summary>
    public static string Of(ClusterOptions options) => options.DataDirectory ?? Path.Combine("data", options.NodeId ?? "node-1");

    /// <summary>The same from raw configuration, before the options are bound (a failure while the services are added).</summary>
    public static string Of(IConfiguration configuration) =>
        configuration["Cluster:DataDirectory"] ?? Path.Combine("data", configuration["Cluster:NodeId"] ?? "node-1");
}
