using System.Diagnostics.CodeAnalysis;

namespace ClusterPortal.Client.Contract;

/// <summary>
/// A validated item key, part of the wire contract: a relative path of <c>/</c>-separated segments, compared
/// ordinally. Refused: empty, absolute, <c>.</c>/<c>..</c>/empty segments, backslashes, control characters, <c>%</c>,
/// <c>:</c> (drive letters), <c>* ? " &lt; &gt; |</c>, segments ending in a dot or space, over-long keys. The node
/// answers a request for a refused key with 400 naming <c>key</c>; the SDK refuses it before sending.
/// </summary>
/// <remarks>
/// In a URL each segment is escaped on its own (<see cref="ToUrlPath"/>): everything but <c>A-Za-z0-9-._~</c> is
/// percent-encoded and the slashes stay, so <c>news/a b+c.txt</c> is sent as <c>news/a%20b%2Bc.txt</c>.
/// </remarks>
public sealed record ItemKey
{
    /// <summary>Longest key, in characters.</summary>
    public const int MaxLength = 1024;

    /// <summary>Longest segment, in characters.</summary>
    public const int MaxSegmentLength = 255;

    private static readonly System.Buffers.SearchValues<char> s_invalid = System.Buffers.SearchValues.Create("*?\"<>|");

    private ItemKey(string value) => Value = value;

    /// <summary>The key text, e.g. <c>weather/forecast-berlin.json</c>.</summary>
    public string Value { get; }

    /// <summary>The key's segments, e.g. <c>["weather", "forecast-berlin.json"]</c>.</summary>
    public IReadOnlyList<string> Segments => Value.Split('/');

    /// <summary>Checks a text against the rules without allocating a key.</summary>
    /// <param name="text">The candidate key.</param>
    /// <returns><see cref="ItemKeyError.None"/> for a valid key, otherwise the first rule broken.</returns>
    public static ItemKeyError Validate(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return ItemKeyError.Empty;
        }

        if (text.Length > MaxLength)
        {
            return ItemKeyError.TooLong;
        }

        if (text[0] == '/')
        {
            return ItemKeyError.Absolute;
        }

        foreach (var c in text)
        {
            var error = c switch
            {
                '\\' => ItemKeyError.Backslash,
                '%' => ItemKeyError.PercentEncoding,
                ':' => ItemKeyError.Colon,
                _ when char.IsControl(c) => ItemKeyError.ControlCharacter,
                _ => ItemKeyError.None,
            };
            if (error != ItemKeyError.None)
            {
                return error;
            }
        }

        return text.AsSpan().ContainsAny(s_invalid) ? ItemKeyError.InvalidCharacter : ValidateSegments(text);
    }

    /// <summary>Parses a key.</summary>
    /// <param name="text">The candidate key.</param>
    /// <param name="key">The key, or <see langword="null"/> when <paramref name="text"/> is not valid.</param>
    /// <returns>Whether <paramref name="text"/> is a valid key.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ItemKey? key)
    {
        key = Validate(text) == ItemKeyError.None ? new ItemKey(text!) : null;
        return key is not null;
    }

    /// <summary>Parses a key.</summary>
    /// <param name="text">The candidate key.</param>
    /// <returns>The key.</returns>
    /// <exception cref="InvalidItemKeyException"><paramref name="text"/> is not a valid key.</exception>
    public static ItemKey Parse(string? text)
    {
        var error = Validate(text);
        return error == ItemKeyError.None ? new ItemKey(text!) : throw new InvalidItemKeyException(text, error);
    }

    /// <summary>
    /// The key as the path of an item URL: each segment percent-encoded on its own (everything but
    /// <c>A-Za-z0-9-._~</c>), joined with unencoded <c>/</c>; e.g. <c>news/a b+c.txt</c> → <c>news/a%20b%2Bc.txt</c>.
    /// </summary>
    /// <returns>The escaped path, without a leading slash.</returns>
    public string ToUrlPath() => string.Join('/', Value.Split('/').Select(Uri.EscapeDataString));

    /// <summary>The key text.</summary>
    /// <returns><see cref="Value"/>.</returns>
    public override string ToString() => Value;

    private static ItemKeyError ValidateSegments(string text)
    {
        foreach (var range in text.AsSpan().Split('/'))
        {
            var segment = text.AsSpan(range);
            var error = segment switch
            {
                [] => ItemKeyError.EmptySegment,
                "." or ".." => ItemKeyError.DotSegment,
                { Length: > MaxSegmentLength } => ItemKeyError.TooLong,
                [.., '.' or ' '] => ItemKeyError.InvalidCharacter,
                _ => ItemKeyError.None,
            };
            if (error != ItemKeyError.None)
            {
                return error;
            }
        }

        return ItemKeyError.None;
    }
}
