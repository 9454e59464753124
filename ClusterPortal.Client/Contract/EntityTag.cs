using System.Diagnostics.CodeAnalysis;

namespace ClusterPortal.Client.Contract;

/// <summary>
/// An entity tag (RFC 9110 §8.8.3) as a request's <c>If-None-Match</c> names it: the opaque tag with its double
/// quotes (<c>"81b69dda2f09a3e5"</c>) and whether it is weak (<c>W/</c>), or <see cref="Any"/> for <c>*</c>.
/// </summary>
/// <param name="Tag">The opaque tag including its double quotes, or <c>*</c>.</param>
/// <param name="IsWeak">Whether the tag was sent with the weak prefix <c>W/</c>.</param>
public readonly record struct EntityTag(string Tag, bool IsWeak)
{
    private const char Quote = '"';

    /// <summary>The <c>*</c> of <c>If-None-Match: *</c>: any current representation.</summary>
    public static EntityTag Any { get; } = new("*", false);

    /// <summary>Whether this is <see cref="Any"/>.</summary>
    public bool IsAny => !IsWeak && Tag == "*";

    /// <summary>Weak comparison (RFC 9110 §8.8.3.2): the opaque tags are equal character by character, weak or not.</summary>
    /// <param name="other">The tag to compare with.</param>
    /// <returns>Whether the two tags match weakly.</returns>
    public bool WeaklyMatches(EntityTag other) => string.Equals(Tag, other.Tag, StringComparison.Ordinal);

    /// <summary>The tag as written in a header: <c>W/"…"</c>, <c>"…"</c> or <c>*</c>.</summary>
    /// <returns>The header text.</returns>
    public override string ToString() => IsWeak ? "W/" + Tag : Tag;

    /// <summary>
    /// Parses the values of a list header such as <c>If-None-Match</c>: each value a comma-separated list of
    /// entity tags or <c>*</c>, empty members and optional whitespace allowed. One invalid member makes the whole
    /// field invalid (the caller then ignores it, RFC 9110 §13.1.2 grammar).
    /// </summary>
    /// <param name="values">The header's values (one per header line); null or empty values are skipped.</param>
    /// <param name="tags">The tags in order, or null when the field is invalid or names none.</param>
    /// <returns>Whether the field is valid and names at least one tag.</returns>
    /// <remarks>
    /// Accepts what ASP.NET Core's <c>EntityTagHeaderValue.TryParseStrictList</c> accepts, with the same result
    /// (checked by a property test): a lower-case <c>w/</c>, whitespace between <c>W/</c> and the quote, backslash
    /// pairs and any other character inside the quotes, and <c>*</c> mixed with tags.
    /// </remarks>
    public static bool TryParseList(IEnumerable<string?> values, [NotNullWhen(true)] out IReadOnlyList<EntityTag>? tags)
    {
        ArgumentNullException.ThrowIfNull(values);
        tags = null;
        List<EntityTag>? found = null;
        foreach (var value in values)
        {
            if (!TryParseValue(value ?? "", ref found))
            {
                return false;
            }
        }

        tags = found;
        return found is not null;
    }

    private static bool TryParseValue(string value, ref List<EntityTag>? found)
    {
        var index = 0;
        while (index < value.Length)
        {
            var start = SkipSeparators(value, index, out _);
            if (start == value.Length)
            {
                return true;
            }

            var length = TagLength(value, start, out var tag);
            if (length == 0)
            {
                return false;
            }

            index = SkipSeparators(value, start + length, out var separated);
            if (!separated && index < value.Length)
            {
                return false;
            }

            (found ??= []).Add(tag);
        }

        return true;
    }

    /// <summary>Length of the tag at <paramref name="start"/> and the whitespace after it; 0 when there is none.</summary>
    private static int TagLength(string input, int start, out EntityTag tag)
    {
        tag = default;
        var current = start;
        if (input[current] == '*')
        {
            tag = Any;
            current++;
        }
        else
        {
            var isWeak = false;
            if (input[current] is 'W' or 'w')
            {
                current++;
                if (current + 2 >= input.Length || input[current] != '/')
                {
                    return 0;
                }

                isWeak = true;
                current = SkipWhitespace(input, current + 1);
            }

            var quoted = QuotedLength(input, current);
            if (quoted == 0)
            {
                return 0;
            }

            tag = new EntityTag(input.Substring(current, quoted), isWeak);
            current += quoted;
        }

        return SkipWhitespace(input, current) - start;
    }

    /// <summary>Length of the quoted string at <paramref name="start"/> including both quotes; 0 when there is none or it is not closed.</summary>
    private static int QuotedLength(string input, int start)
    {
        if (start >= input.Length || input[start] != Quote)
        {
            return 0;
        }

        var current = start + 1;
        while (current < input.Length)
        {
            // A backslash pair (backslash + ASCII) hides the quote after it, when a closing quote can still follow.
            if (current + 2 < input.Length && input[current] == '\\' && input[current + 1] <= 127)
            {
                current += 2;
                continue;
            }

            if (input[current] == Quote)
            {
                return current - start + 1;
            }

            current++;
        }

        return 0;
    }

    /// <summary>The index after the whitespace at <paramref name="start"/>: spaces, tabs, and CRLF followed by a space or tab.</summary>
    private static int SkipWhitespace(string input, int start)
    {
        var current = start;
        while (current < input.Length)
        {
            if (input[current] is ' ' or '\t')
            {
                current++;
            }
            else if (input[current] == '\r' && current + 2 < input.Length && input[current + 1] == '\n' && input[current + 2] is ' ' or '\t')
            {
                current += 3;
            }
            else
            {
                break;
            }
        }

        return current;
    }

    /// <summary>The index after whitespace and any commas (empty list members) at <paramref name="start"/>.</summary>
    private static int SkipSeparators(string input, int start, out bool separated)
    {
        var current = SkipWhitespace(input, start);
        separated = false;
        while (current < input.Length && input[current] == ',')
        {
            separated = true;
            current = SkipWhitespace(input, current + 1);
        }

        return current;
    }
}
