using ClusterPortal.Client.Contract;

namespace ClusterEngine.Mirroring;

/// <summary>
/// The version of an item a 200 may be encoded against as a delta (<see cref="ItemAnswer.Delta"/>; RFC 9842), as the
/// request names it: by the SHA-256 the client sent in <c>Available-Dictionary</c> (the standard path), or by the
/// validator the client's trusted mirror records (the mirror extension, <c>docs/deltas.md</c>). The host answers with a
/// delta only when it still holds that version and the delta is smaller than the item; otherwise with the item.
/// </summary>
/// <param name="Hash">The dictionary's SHA-256 named by the client; null on the mirror path.</param>
/// <param name="Validator">The CRC-64 validator the mirror records for the client; null on the standard path.</param>
public sealed record DeltaBase(DictionaryHash? Hash, ulong? Validator)
{
    /// <summary>The standard path: the client holds the version whose SHA-256 is <paramref name="hash"/>.</summary>
    /// <param name="hash">From <c>Available-Dictionary</c>.</param>
    /// <returns>The base.</returns>
    public static DeltaBase Dictionary(DictionaryHash hash) => new(hash, null);

    /// <summary>The mirror path: the client's trusted mirror records the version with <paramref name="validator"/>.</summary>
    /// <param name="validator">The recorded validator.</param>
    /// <returns>The base.</returns>
    public static DeltaBase MirrorVersion(ulong validator) => new(null, validator);
}
