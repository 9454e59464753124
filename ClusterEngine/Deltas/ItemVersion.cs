using ClusterPortal.Client.Contract;

namespace ClusterEngine.Deltas;

/// <summary>One version of an item that clients may hold, kept to encode deltas against (<see cref="ItemVersionStore"/>).</summary>
/// <param name="Key">The item key.</param>
/// <param name="Validator">Its CRC-64 validator (<see cref="ItemValidator"/>): how the mirror names it.</param>
/// <param name="Hash">Its SHA-256 (<see cref="DictionaryHash"/>): how <c>Available-Dictionary</c> names it.</param>
/// <param name="Content">Its bytes (shared with the origin item they came from, never changed).</param>
public sealed record ItemVersion(string Key, ulong Validator, DictionaryHash Hash, ReadOnlyMemory<byte> Content);
