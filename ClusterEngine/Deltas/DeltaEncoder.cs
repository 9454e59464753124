using ClusterEngine.Mirroring;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Deltas;

/// <summary>
/// Turns the rule's <see cref="DeltaBase"/> into a <c>dcz</c> body (RFC 9842 §4, <see cref="DczCodec"/>): looks the
/// base version up in the <see cref="ItemVersionStore"/> and encodes the current item against it. Null — send the item
/// itself — when the version is not held (evicted, never seen, a forged or foreign hash), the item is larger than
/// <see cref="DeltaOptions.MaxItemBytes"/>, the base is the current version itself (a 304 case the client did not ask
/// for), or the delta would not be smaller than the item.
/// </summary>
/// <param name="versions">The kept versions.</param>
/// <param name="options">Delta options.</param>
public sealed class DeltaEncoder(ItemVersionStore versions, IOptions<DeltaOptions> options)
{
    private readonly int _maxItemBytes = options?.Value.MaxItemBytes ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Encodes <paramref name="item"/> against <paramref name="against"/> when that is possible and pays.</summary>
    /// <param name="item">The current version.</param>
    /// <param name="against">The version the client holds, as the rule named it.</param>
    /// <returns>The <c>dcz</c> body, or null to send the item.</returns>
    public byte[]? TryEncode(OriginItem item, DeltaBase against)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(against);
        if (item.Length > _maxItemBytes)
        {
            return null;
        }

        var held = against.Hash is { } hash ? versions.Find(item.Key, hash)
            : against.Validator is { } validator ? versions.Find(item.Key, validator)
            : null;
        if (held is null || held.Validator == item.Validator)
        {
            return null;
        }

        var body = DczCodec.Encode(held.Content.Span, held.Hash, item.Content.Span);
        return body.Length < item.Length ? body : null;
    }
}
