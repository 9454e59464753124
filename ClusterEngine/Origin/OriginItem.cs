using ClusterPortal.Client.Contract;

namespace ClusterEngine.Origin;

/// <summary>
/// One item as the origin has it now (patent Fig. 9 step 910, Fig. 10 steps 1020–1030): its bytes, its CRC-64
/// validator (computed here), content type and last modification. Immutable.
/// </summary>
public sealed class OriginItem
{
    /// <summary>Creates an item and computes its validator (<see cref="ItemValidator.Compute"/>).</summary>
    /// <param name="key">The item key.</param>
    /// <param name="content">The item's bytes; not copied, the caller hands them over.</param>
    /// <param name="contentType">The media type, e.g. <c>application/json</c>.</param>
    /// <param name="lastModified">When the origin last changed the item.</param>
    /// <param name="originETag">The entity tag the upstream origin sent (HTTP origin), used to revalidate; otherwise <see langword="null"/>.</param>
    public OriginItem(ItemKey key, ReadOnlyMemory<byte> content, string contentType, DateTimeOffset lastModified, string? originETag = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        Key = key;
        Content = content;
        ContentType = contentType;
        LastModified = lastModified;
        OriginETag = originETag;
        Validator = ItemValidator.Compute(content.Span);
    }

    /// <summary>The item key.</summary>
    public ItemKey Key { get; }

    /// <summary>The item's bytes.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    /// <summary>The item's size in bytes.</summary>
    public long Length => Content.Length;

    /// <summary>The CRC-64 validator of <see cref="Content"/> (docs/architecture.md §8).</summary>
    public ulong Validator { get; }

    /// <summary>The strong ETag of <see cref="Validator"/>, quoted, e.g. <c>"81b69dda2f09a3e5"</c>.</summary>
    public string ETag => ItemValidator.ToETag(Validator);

    /// <summary>The media type.</summary>
    public string ContentType { get; }

    /// <summary>When the origin last changed the item (file-system: last write time, UTC).</summary>
    public DateTimeOffset LastModified { get; }

    /// <summary>The upstream origin's entity tag (HTTP origin only), used for conditional revalidation.</summary>
    public string? OriginETag { get; }
}
