namespace ClusterEngine.Persistence.Model;

/// <summary>Row of table <c>MirrorClients</c>: a client's mirror sequence and sync checkpoint.</summary>
public sealed class MirrorClientRow
{
    /// <summary>The client's id (primary key).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Current mirror sequence number, bit-cast from <see cref="ulong"/>.</summary>
    public long Sequence { get; set; }

    /// <summary>Sync checkpoint: highest sequence synchronised to the alternate, bit-cast from <see cref="ulong"/>.</summary>
    public long SyncedSequence { get; set; }
}
