using ClusterEngine.Deltas;
using ClusterEngine.Mirroring;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using ClusterPortal.Metrics;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Api;

/// <summary>
/// How an item answer is written under RFC 9842 (Compression Dictionary Transport; <c>docs/deltas.md</c>): the
/// <c>Cache-Control</c> of every item answer, and the body of a 200 — the item, or a <c>dcz</c> delta against the
/// version the client holds when <see cref="ItemAnswerRule"/> named one and <see cref="DeltaEncoder"/> can encode it.
/// Every 200 carries <c>Use-As-Dictionary</c> for its own URL (relative: <see cref="DictionaryMatch"/>) and is kept as a version to encode later deltas against.
/// </summary>
/// <param name="encoder">Encodes deltas.</param>
/// <param name="versions">The versions kept per item.</param>
/// <param name="options">Delta options (<see cref="DeltaOptions.DictionaryLifetime"/>).</param>
/// <param name="time">The clock of <c>Date</c> and the bound of <c>Last-Modified</c>.</param>
internal sealed class ItemRepresentation(DeltaEncoder encoder, ItemVersionStore versions, IOptions<DeltaOptions> options, TimeProvider time)
{
    /// <summary>
    /// <c>max-age=0, stale-while-revalidate=N</c>: stale at once, so every use is revalidated (a client or a cache sends
    /// its validator each time), while the freshness lifetime plus <c>stale-while-revalidate</c> stays above zero, which
    /// a browser needs to keep the answer as a dictionary (<c>no-cache</c> makes it zero). Item answers need a bearer
    /// token, so shared caches do not store them anyway (RFC 9111 §3.5).
    /// </summary>
    public string CacheControl { get; } =
        $"max-age=0, stale-while-revalidate={(long)options.Value.DictionaryLifetime.TotalSeconds}";

    /// <summary>
    /// The <c>Use-As-Dictionary</c> value of an item's 200: <c>match="{last key segment}"</c>, escaped as in the item's URL.
    /// RFC 9842 §2.1.1 builds the URL Pattern with the request's URL as its base, so the last segment names the item's own
    /// URL — about 40 bytes shorter than the absolute path on every 200 to a device on a costly link. Escaped with
    /// <see cref="Uri.EscapeDataString(string)"/> it holds only <c>A-Za-z0-9-._~%</c>, none of which URL Pattern syntax
    /// (<c>: * ( ) { } + ? \</c>) or a structured-field string (<c>" \</c>) treats specially.
    /// </summary>
    /// <param name="key">The item's key.</param>
    /// <returns>The header value.</returns>
    internal static string DictionaryMatch(ItemKey key)
    {
        var text = key.Value;
        return $"match=\"{Uri.EscapeDataString(text[(text.LastIndexOf('/') + 1)..])}\"";
    }

    /// <summary>
    /// The <c>Last-Modified</c> of a 200 and, for a version written within the last two seconds, the answer's own
    /// <c>Date</c>. RFC 9110 §8.8.2.1: <c>Last-Modified</c> is never later than <c>Date</c>, and a modification time
    /// later than the answer (another clock ahead of this node's) is replaced by the answer's date. Kestrel writes a
    /// <c>Date</c> it refreshes about once a second, so it may lag the clock: for a fresh version the node writes the
    /// <c>Date</c> itself (Kestrel keeps a <c>Date</c> the application set), and every answer shows the version's one
    /// <c>Last-Modified</c>. The field is informational: no date ever gives a 304 (<see cref="ItemAnswerRule"/>).
    /// </summary>
    /// <param name="modified">When the origin says the version was written.</param>
    /// <param name="now">The node's clock.</param>
    /// <returns>The <c>Last-Modified</c> value, and the <c>Date</c> value to write (null: Kestrel's own).</returns>
    internal static (string LastModified, string? Date) Dates(DateTimeOffset modified, DateTimeOffset now)
    {
        var second = Truncate(modified.UtcDateTime);
        var date = Truncate(now.UtcDateTime);
        if (second <= date.AddSeconds(-2))
        {
            return (Http(second), null);
        }

        return (Http(second < date ? second : date), Http(date));

        static DateTime Truncate(DateTime time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerSecond));
        static string Http(DateTime time) => time.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Writes the header fields and body of a 200 for <paramref name="item"/> and counts it.</summary>
    /// <param name="http">The request.</param>
    /// <param name="item">The current version.</param>
    /// <param name="answer">The rule's decision (a 200).</param>
    /// <param name="metrics">The node's counters.</param>
    /// <returns>The body result.</returns>
    public IResult Send(HttpContext http, OriginItem item, ItemAnswer answer, PortalInstruments metrics)
    {
        var headers = http.Response.Headers;
        var (lastModified, date) = Dates(item.LastModified, time.GetUtcNow());
        headers.LastModified = lastModified;
        if (date is not null)
        {
            headers.Date = date;
        }

        headers[ClusterHeaders.UseAsDictionary] = DictionaryMatch(item.Key);

        if (HttpMethods.IsHead(http.Request.Method))
        {
            metrics.SentFull(0);
            return TypedResults.Bytes(item.Content, item.ContentType);
        }

        versions.Remember(item);
        if (answer.Delta is { } against && encoder.TryEncode(item, against) is { } delta)
        {
            // The ETag names the item's bytes, not this encoding of them: weak, as for any encoded answer (RFC 9110 §8.8.1).
            headers.ContentEncoding = ClusterHeaders.DczEncoding;
            headers.ETag = "W/" + item.ETag;
            metrics.SentDelta(item.Length, delta.Length);
            return TypedResults.Bytes(delta, item.ContentType);
        }

        metrics.SentFull(item.Length);
        return TypedResults.Bytes(item.Content, item.ContentType);
    }
}
