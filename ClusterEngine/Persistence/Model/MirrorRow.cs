namespace ClusterEngine.Persistence.Model;

/// <summary>
/// Row of table <c>Mirrors</c>: one client's whole cache mirror at one sequence (docs/persistence.md, "Mirrors: one row
/// per client"). The row is always written whole, so its sequence names exactly its entries.
/// </summary>
public sealed class MirrorRow
{
    /// <summary>The client's id (primary key).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The mirror's sequence number, bit-cast from <see cref="ulong"/> (SQLite INTEGER is signed).</summary>
    public long Sequence { get; set; }

    /// <summary>The entries, least recently used first, packed by <see cref="MirrorEntriesCodec"/>.</summary>
    public byte[] Entries { get; set; } = [];
}
