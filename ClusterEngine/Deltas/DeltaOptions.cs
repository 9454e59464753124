namespace ClusterEngine.Deltas;

/// <summary>
/// Options of delta answers (configuration section <c>Delta</c>; RFC 9842, see <c>docs/deltas.md</c>): how many earlier
/// versions of the items the node keeps to encode deltas against, and how long a browser may keep an item as a
/// dictionary. Validated at start by <see cref="DeltaOptionsValidator"/>.
/// </summary>
public sealed class DeltaOptions
{
    /// <summary>The configuration section: <c>Delta</c>.</summary>
    public const string SectionName = "Delta";

    /// <summary>Versions kept per item, the current one included; the least recently used leaves first. Default 4; 1–64.</summary>
    public int MaxVersionsPerItem { get; set; } = 4;

    /// <summary>
    /// Bytes of item versions kept in all (the current versions are shared with the origin cache, so this is an upper
    /// bound of what deltas add); the least recently used version leaves first. Default 67108864 (64 MiB); 0 keeps
    /// none (no deltas) — at most 16 GiB.
    /// </summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest item answered as a delta, in bytes (larger ones are always sent whole: encoding cost grows with size). Default 1048576 (1 MiB); 1 – 16777216.</summary>
    public int MaxItemBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long a browser may keep an item as a dictionary: the <c>stale-while-revalidate</c> of the items'
    /// <c>Cache-Control: max-age=0, stale-while-revalidate=…</c>, in whole seconds. Default 1 day; 1 s – 365 days.
    /// </summary>
    public TimeSpan DictionaryLifetime { get; set; } = TimeSpan.FromDays(1);
}
