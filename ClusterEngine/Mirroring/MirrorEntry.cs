using ClusterPortal.Client.Contract;

namespace ClusterEngine.Mirroring;

/// <summary>
/// What a client holds in its cache for one item, as the node's mirror knows it (docs/architecture.md §3 "mirror";
/// patent Fig. 9 step 950, Fig. 10 step 1070).
/// </summary>
/// <param name="Key">The item key (docs/architecture.md §5).</param>
/// <param name="Validator">The item's CRC-64 validator (<see cref="ItemValidator"/>).</param>
/// <param name="SizeBytes">The item's size in bytes (what a "use your cached copy" answer saves).</param>
/// <param name="Sequence">The mirror sequence number of the change that last set this entry.</param>
public readonly record struct MirrorEntry(string Key, ulong Validator, long SizeBytes, ulong Sequence);
