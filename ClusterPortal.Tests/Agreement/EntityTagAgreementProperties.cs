using ClusterPortal.Client.Contract;
using FsCheck.Xunit;
using FrameworkTag = Microsoft.Net.Http.Headers.EntityTagHeaderValue;

namespace ClusterPortal.Tests.Agreement;

/// <summary>
/// The contract's <c>If-None-Match</c> parser (<see cref="EntityTag.TryParseList"/>, used by the engine, which has no
/// ASP.NET Core) agrees with ASP.NET Core's <c>EntityTagHeaderValue.TryParseStrictList</c>: the same fields are valid,
/// with the same tags in the same order, weak or not.
/// </summary>
public sealed class EntityTagAgreementProperties
{
    /// <summary>Pieces that make near-valid fields: tags, prefixes, separators, whitespace, escapes, stray quotes.</summary>
    private static readonly string[] s_pieces =
    [
        "\"81b69dda2f09a3e5\"", "\"a\"", "\"\"", "W/", "w/", "W", "/", "*", ",", ", ", " ", "\t", "\r\n ", "\r\n", "\"", "\\",
        "\\\"", "x", "ü", "\"a b\"", "\"a,b\"", "=",
    ];

    [Property(MaxTest = 3000)]
    public void Fields_built_from_header_pieces_parse_alike(byte[][] values)
    {
        var fields = values.Take(3).Select(codes => string.Concat(codes.Take(12).Select(c => s_pieces[c % s_pieces.Length]))).ToList();

        AssertAgree(fields);
    }

    [Property(MaxTest = 1000)]
    public void Arbitrary_strings_parse_alike(string[] values) => AssertAgree([.. values.Take(3).Select(v => v ?? "")]);

    [Theory]
    [InlineData("\"81b69dda2f09a3e5\"")]
    [InlineData("W/\"x\", \"y\" ,, *")]
    [InlineData("w/ \"x\"")]
    [InlineData("\"a\\\"b\"")]
    [InlineData("\"a\\\"")]
    [InlineData("*\"a\"")]
    [InlineData("\"a\" \"b\"")]
    [InlineData("W/\"")]
    [InlineData(" , ")]
    [InlineData("W/  ")]
    [InlineData("")]
    public void Edge_cases_parse_alike(string value) => AssertAgree([value]);

    /// <summary>
    /// ASP.NET Core's parser, where an exception counts as "invalid": <c>W/</c> followed by whitespace up to the end of
    /// the value reads past the end and throws (Kestrel trims header values, so a request never carries that).
    /// </summary>
    private static bool FrameworkTryParse(IList<string> fields, out IList<FrameworkTag>? tags)
    {
        try
        {
            return FrameworkTag.TryParseStrictList(fields, out tags);
        }
        catch (ArgumentOutOfRangeException)
        {
            tags = null;
            return false;
        }
    }

    private static void AssertAgree(IList<string> fields)
    {
        var ours = EntityTag.TryParseList(fields, out var tags);
        var theirs = FrameworkTryParse(fields, out var expected);

        var shown = string.Join(" | ", fields.Select(f => $"[{f.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}]"));
        Assert.True(ours == theirs, $"{shown}: ours {(ours ? "valid" : "invalid")}, ASP.NET Core {(theirs ? "valid" : "invalid")}");
        if (ours)
        {
            Assert.Equal(expected!.Select(t => (t.Tag.ToString(), t.IsWeak)), tags!.Select(t => (t.Tag, t.IsWeak)));
        }
    }
}
