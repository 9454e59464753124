using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client;

/// <summary>
/// One item in the client's local cache. <see cref="MirrorTrusted"/>: the node's mirror is known to record exactly
/// this copy (it was stored or confirmed by an answer whose <c>X-Mirror-Sequence</c> the client adopted), so a
/// <c>Prefer: cache-mirror</c> 304 for it is right; any other copy is revalidated with its own validator.
/// </summary>
internal sealed record CachedItem(string Key, ReadOnlyMemory<byte> Content, ulong Validator, string? ContentType, bool MirrorTrusted)
{
    private DictionaryHash? _hash;

    public string ETag => ItemValidator.ToETag(Validator);

    /// <summary>The copy's SHA-256: its name as an RFC 9842 dictionary (computed once, on first use).</summary>
    public DictionaryHash Hash => _hash ??= DictionaryHash.Of(Content.Span);
}
