namespace ClusterEngine.Persistence.Model;

/// <summary>Row of table <c>MirrorEntries</c>: one entry of a client's cache mirror (key: client id and item key).</summary>
public sealed class MirrorEntryRow
{
    /// <summary>The client's id.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The data item's key.</summary>
    public string Key { get; set; } = "";

    /// <summary>CRC-64 validator, the <see cref="ulong"/> bit-cast to <see cref="long"/> (SQLite INTEGER is signed).</summary>
    public long Validator { get; set; }

    /// <summary>Item size in bytes.</summary>
    public long Size { get; set; }

    /// <summary>Mirror sequence number, bit-cast from <see cref="ulong"/>.</summary>
    public long Sequence { get; set; }

    /// <summary>Last use (UTC; stored as Unix milliseconds).</summary>
    public DateTimeOffset LastUsedUtc { get; set; }
}
