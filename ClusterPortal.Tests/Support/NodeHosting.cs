namespace ClusterPortal.Tests.Support;

/// <summary>
/// Where the nodes of a <see cref="ProcessCluster"/> run, when not on loopback ports of this machine: each node's URL,
/// the command prefix that starts it there (e.g. <c>ip netns exec {namespace}</c>), its seeds, its own extra settings,
/// and the HTTP handler through which the test reaches the nodes.
/// </summary>
/// <param name="Url">Node index (0-based) → its base URL.</param>
/// <param name="Launcher">Node index → the command and arguments placed before <c>dotnet ClusterPortal.dll …</c>.</param>
/// <param name="Seeds">Node index → its <c>Cluster:Seeds</c> (empty: it starts a cluster of its own).</param>
/// <param name="NodeArgs">Node index → extra settings of that node (e.g. <c>--Cluster:Zone=a</c>).</param>
/// <param name="Handler">Makes the handler of the test's HTTP client.</param>
public sealed record NodeHosting(
    Func<int, string> Url,
    Func<int, IReadOnlyList<string>> Launcher,
    Func<int, IReadOnlyList<string>> Seeds,
    Func<int, IReadOnlyList<string>> NodeArgs,
    Func<HttpMessageHandler> Handler);
