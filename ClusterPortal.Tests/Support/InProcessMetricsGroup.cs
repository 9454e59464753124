namespace ClusterPortal.Tests.Support;

/// <summary>
/// Tests that count a node's own series in <c>/metrics</c> of an in-process cluster run alone, with no other test at the
/// same time: every host in the test process exports every meter of the same name in that process, and the nodes of two
/// in-process clusters share their ids (node-1, node-2, …), so another cluster's calls and merges would land in the same
/// series (seen: a joining node-3 "merging" 48 broadcasts of another test's cluster).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InProcessMetricsGroup
{
    public const string Name = "In-process metrics";
}
