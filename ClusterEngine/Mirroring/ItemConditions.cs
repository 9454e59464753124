using ClusterPortal.Client.Contract;

namespace ClusterEngine.Mirroring;

/// <summary>
/// What an item request says about the copy its client holds (RFC 9110 §13.1; patent Fig. 9 and 10): its
/// <c>If-None-Match</c> tags, <c>Prefer: cache-mirror</c> and the mirror sequence it echoed. The host parses the HTTP
/// request into this value; <see cref="ItemAnswerRule.Decide"/> decides from it. <c>If-Modified-Since</c> is not among
/// them: a date names no version (<see cref="ItemAnswerRule"/>, "Never a wrong 304").
/// </summary>
/// <param name="IfNoneMatch">The <c>If-None-Match</c> tags, or null when the request has none or the field is invalid (ignored).</param>
/// <param name="PreferMirror">Whether the request carries <c>Prefer: cache-mirror</c>.</param>
/// <param name="EchoedSequence">The mirror sequence the client echoed, or null when it sent none or an invalid one.</param>
/// <param name="SentSequence">Whether the request carried an <c>X-Mirror-Sequence</c> header at all (even an invalid one).</param>
/// <param name="IsHead">Whether the request is a HEAD: the answer carries no bytes.</param>
public sealed record ItemConditions(IReadOnlyList<EntityTag>? IfNoneMatch, bool PreferMirror,
    ulong? EchoedSequence, bool SentSequence, bool IsHead = false)
{
    /// <summary>A GET without any condition.</summary>
    public static ItemConditions None { get; } = new(null, false, null, false);

    /// <summary>
    /// Whether the client takes part in the mirror protocol (it sent <c>Prefer: cache-mirror</c> or an
    /// <c>X-Mirror-Sequence</c>): only then may the answer carry the new sequence. A client that relies on its own
    /// validators never echoes one, so the 37 bytes would be wasted on every hit; a client that skips it once
    /// simply gets no mirror 304 until it echoes a current sequence again, which is safe.
    /// </summary>
    public bool UsesMirror => PreferMirror || SentSequence;

    /// <summary>Whether <c>Accept-Encoding</c> names <c>dcz</c> with a weight above 0 (RFC 9842 §4): the client can decode a delta.</summary>
    public bool AcceptsDcz { get; init; }

    /// <summary>The SHA-256 the request named in <c>Available-Dictionary</c>; null when absent or not exactly one valid value (ignored, never an error).</summary>
    public DictionaryHash? AvailableDictionary { get; init; }

    /// <summary>
    /// These conditions with the request's delta fields (RFC 9842): <c>Accept-Encoding</c> (comma-separated codings, each
    /// with an optional <c>;q=</c> weight; only an explicit <c>dcz</c> counts) and <c>Available-Dictionary</c> (one
    /// structured-field byte sequence of 32 bytes, <see cref="DictionaryHash.TryParseHeader"/>; anything else is ignored).
    /// </summary>
    /// <param name="acceptEncoding">The <c>Accept-Encoding</c> values.</param>
    /// <param name="availableDictionary">The <c>Available-Dictionary</c> values.</param>
    /// <returns>The conditions with <see cref="AcceptsDcz"/> and <see cref="AvailableDictionary"/> set.</returns>
    public ItemConditions WithDeltaFields(IEnumerable<string?> acceptEncoding, IReadOnlyCollection<string?> availableDictionary)
    {
        ArgumentNullException.ThrowIfNull(acceptEncoding);
        ArgumentNullException.ThrowIfNull(availableDictionary);
        var accepts = acceptEncoding.Any(value => value is not null && value.Split(',').Any(AcceptsDczCoding));
        DictionaryHash? hash = availableDictionary.Count == 1 && DictionaryHash.TryParseHeader(availableDictionary.First(), out var parsed) ? parsed : null;
        return this with { AcceptsDcz = accepts, AvailableDictionary = hash };
    }

    private static bool AcceptsDczCoding(string coding)
    {
        var parts = coding.Split(';');
        if (!parts[0].Trim().Equals(ClusterHeaders.DczEncoding, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var parameter in parts.Skip(1))
        {
            var pair = parameter.Split('=', 2);
            if (pair.Length == 2 && pair[0].Trim().Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                return double.TryParse(pair[1].Trim(), System.Globalization.NumberStyles.AllowDecimalPoint,
                    System.Globalization.CultureInfo.InvariantCulture, out var weight) && weight > 0;
            }
        }

        return true;
    }

    /// <summary>
    /// Builds the conditions from header values as a request carries them (one entry per header line; an absent
    /// header is empty). Invalid values are ignored, never an error: an <c>If-None-Match</c> field with any invalid
    /// member counts as absent (<see cref="EntityTag.TryParseList"/>), an <c>X-Mirror-Sequence</c> that is not one
    /// value of 16 hex digits names no sequence (<see cref="MirrorSequence.TryParse"/>).
    /// </summary>
    /// <param name="isHead">Whether the method is HEAD.</param>
    /// <param name="ifNoneMatch">The <c>If-None-Match</c> values.</param>
    /// <param name="prefer">The <c>Prefer</c> values; <c>cache-mirror</c> is looked for among their comma-separated tokens, case-insensitively.</param>
    /// <param name="mirrorSequence">The <c>X-Mirror-Sequence</c> values.</param>
    /// <returns>The conditions.</returns>
    public static ItemConditions FromHeaders(bool isHead, IEnumerable<string?> ifNoneMatch, IEnumerable<string?> prefer,
        IReadOnlyCollection<string?> mirrorSequence)
    {
        ArgumentNullException.ThrowIfNull(ifNoneMatch);
        ArgumentNullException.ThrowIfNull(prefer);
        ArgumentNullException.ThrowIfNull(mirrorSequence);
        var tags = EntityTag.TryParseList(ifNoneMatch, out var parsed) ? parsed : null;
        var preferMirror = prefer.Any(value => value is not null && value.Split(',')
            .Any(token => token.Trim().Equals(ClusterHeaders.CacheMirrorPreference, StringComparison.OrdinalIgnoreCase)));
        ulong? echoed = mirrorSequence.Count == 1 && MirrorSequence.TryParse(mirrorSequence.First(), out var sequence) ? sequence : null;
        return new ItemConditions(tags, preferMirror, echoed, mirrorSequence.Count > 0, isHead);
    }
}
