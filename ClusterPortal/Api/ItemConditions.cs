using System.Globalization;
using ClusterPortal.Client.Contract;
using Microsoft.Net.Http.Headers;

namespace ClusterPortal.Api;

/// <summary>
/// What a client's item request says it holds (RFC 9110 §13; DESIGN.md §5, §8): its
/// <c>If-None-Match</c> tags (or <c>*</c>), <c>If-Modified-Since</c>, <c>Prefer: cache-mirror</c> and the
/// last mirror sequence it received (<c>X-Mirror-Sequence</c>, 16 hex digits).
/// </summary>
internal sealed record ItemConditions(IList<EntityTagHeaderValue>? IfNoneMatch, DateTimeOffset? IfModifiedSince, bool PreferMirror, ulong? EchoedSequence, bool SentSequence)
{
    /// <summary>
    /// True when the client takes part in the mirror protocol (it sent <c>Prefer: cache-mirror</c> or an
    /// <c>X-Mirror-Sequence</c>): only then does the answer carry the new sequence. A client that relies on
    /// its own validators never echoes one, so the 37 bytes would be wasted on every hit (issue 3 target
    /// ≤ 350 B per validated hit); a client that skips it once simply gets no mirror 304 until it echoes a
    /// current sequence again, which is safe.
    /// </summary>
    public bool UsesMirror => PreferMirror || SentSequence;

    public static ItemConditions From(HttpRequest request)
    {
        var headers = request.GetTypedHeaders();
        var inm = request.Headers.IfNoneMatch.Count > 0 && EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags) ? tags : null;
        var prefer = request.Headers[ClusterHeaders.Prefer].Any(v => v is not null && v.Split(',').Any(p => p.Trim().Equals(ClusterHeaders.CacheMirrorPreference, StringComparison.OrdinalIgnoreCase)));
        ulong? echoed = ulong.TryParse(request.Headers[ClusterHeaders.MirrorSequence], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var seq) && seq != 0 ? seq : null;
        return new ItemConditions(inm, headers.IfModifiedSince, prefer, echoed, request.Headers.ContainsKey(ClusterHeaders.MirrorSequence));
    }

    /// <summary>
    /// RFC 9110 §13.1.2 with weak comparison: does <c>If-None-Match</c> name the current representation?
    /// Null when the request has no (valid) <c>If-None-Match</c>.
    /// </summary>
    public bool? IfNoneMatchMatches(string currentETag)
    {
        if (IfNoneMatch is null)
        {
            return null;
        }

        var current = EntityTagHeaderValue.Parse(currentETag);
        return IfNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison: false));
    }

    /// <summary>RFC 9110 §13.1.3, evaluated only without <c>If-None-Match</c> (§13.2.2 precedence).</summary>
    public bool NotModifiedSince(DateTimeOffset lastModified) =>
        IfNoneMatch is null && IfModifiedSince is { } since && TruncateToSeconds(lastModified) <= since;

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => t.AddTicks(-(t.Ticks % TimeSpan.TicksPerSecond));
}
