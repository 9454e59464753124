using System.Text;
using ClusterEngine.Backplane;

namespace ClusterEngine.Mirroring.Sync;

/// <summary>
/// Cuts mirror snapshots into <see cref="MirrorSyncBatch"/>es whose estimated JSON size stays below a byte budget
/// (docs/architecture.md §7: big payloads are batched below the message size limit). Many clients share a batch; one client's
/// snapshot larger than the budget spans several parts (<see cref="MirrorSyncPart.More"/>), applied by the alternate
/// only after its last part. Pure; no I/O.
/// </summary>
internal static class MirrorSyncBatcher
{
    /// <summary>Estimated bytes of a batch without parts (envelope, sender id, SignalR framing).</summary>
    internal const int BatchOverheadBytes = 256;

    /// <summary>Cuts <paramref name="snapshots"/> into batches of at most <paramref name="maxBytes"/> estimated bytes each.</summary>
    /// <param name="fromNodeId">The sending primary.</param>
    /// <param name="snapshots">Snapshots in sending order.</param>
    /// <param name="maxBytes">Budget per batch, bytes (at least one entry must fit).</param>
    /// <returns>Batches in order; parts of one snapshot are consecutive.</returns>
    public static IEnumerable<MirrorSyncBatch> Batch(string fromNodeId, IEnumerable<MirrorSnapshot> snapshots, int maxBytes)
    {
        var parts = new List<MirrorSyncPart>();
        var size = BatchOverheadBytes;
        foreach (var snapshot in snapshots)
        {
            var header = HeaderBytes(snapshot);
            if (size + header > maxBytes && parts.Count > 0)
            {
                yield return new MirrorSyncBatch(MirrorSyncBatch.CurrentVersion, fromNodeId, [.. parts]);
                parts.Clear();
                size = BatchOverheadBytes;
            }

            size += header;
            var pending = new List<MirrorEntry>();
            foreach (var entry in snapshot.Entries)
            {
                var bytes = EntryBytes(entry);
                if (size + bytes > maxBytes && (pending.Count > 0 || parts.Count > 0))
                {
                    if (pending.Count > 0)
                    {
                        parts.Add(new MirrorSyncPart(snapshot with { Entries = pending }, More: true));
                        pending = [];
                    }

                    yield return new MirrorSyncBatch(MirrorSyncBatch.CurrentVersion, fromNodeId, [.. parts]);
                    parts.Clear();
                    size = BatchOverheadBytes + header;
                }

                pending.Add(entry);
                size += bytes;
            }

            parts.Add(new MirrorSyncPart(snapshot with { Entries = pending }, More: false));
        }

        if (parts.Count > 0)
        {
            yield return new MirrorSyncBatch(MirrorSyncBatch.CurrentVersion, fromNodeId, [.. parts]);
        }
    }

    /// <summary>Worst-case JSON bytes of one entry: property names, three 20-digit numbers, the key with every byte escaped.</summary>
    internal static int EntryBytes(MirrorEntry entry) => 96 + (6 * Encoding.UTF8.GetByteCount(entry.Key));

    /// <summary>Worst-case JSON bytes of a part without its entries.</summary>
    internal static int HeaderBytes(MirrorSnapshot snapshot) => 160 + (6 * Encoding.UTF8.GetByteCount(snapshot.ClientId));
}
