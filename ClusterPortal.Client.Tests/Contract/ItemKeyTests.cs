using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests.Contract;

public sealed class ItemKeyTests
{
    [Theory]
    [InlineData("hello.txt")]
    [InlineData("weather/forecast-berlin.json")]
    [InlineData("a/b/c/d.e.f")]
    [InlineData(".well-known/x")]
    [InlineData("routes/line 7.json")]
    public void Relative_slash_separated_paths_are_keys(string text)
    {
        Assert.True(ItemKey.TryParse(text, out var key));
        Assert.Equal(text, key.Value);
        Assert.Equal(text.Split('/'), key.Segments);
    }

    [Theory]
    [InlineData("../x", ItemKeyError.DotSegment)]
    [InlineData("a/../../x", ItemKeyError.DotSegment)]
    [InlineData("./x", ItemKeyError.DotSegment)]
    [InlineData("a/.", ItemKeyError.DotSegment)]
    [InlineData("..%2fx", ItemKeyError.PercentEncoding)]
    [InlineData("%2e%2e/x", ItemKeyError.PercentEncoding)]
    [InlineData("a%2Fb", ItemKeyError.PercentEncoding)]
    [InlineData("a\\b", ItemKeyError.Backslash)]
    [InlineData("..\\x", ItemKeyError.Backslash)]
    [InlineData("/etc/passwd", ItemKeyError.Absolute)]
    [InlineData("C:/x", ItemKeyError.Colon)]
    [InlineData("c:x", ItemKeyError.Colon)]
    [InlineData("a\0b", ItemKeyError.ControlCharacter)]
    [InlineData("a\nb", ItemKeyError.ControlCharacter)]
    [InlineData("a//b", ItemKeyError.EmptySegment)]
    [InlineData("a/", ItemKeyError.EmptySegment)]
    [InlineData("a/b.", ItemKeyError.InvalidCharacter)]
    [InlineData("a/b ", ItemKeyError.InvalidCharacter)]
    [InlineData("a?b", ItemKeyError.InvalidCharacter)]
    [InlineData("", ItemKeyError.Empty)]
    [InlineData(null, ItemKeyError.Empty)]
    public void Traversal_and_ambiguous_texts_are_refused_with_a_reason(string? text, ItemKeyError error)
    {
        Assert.Equal(error, ItemKey.Validate(text));
        Assert.False(ItemKey.TryParse(text, out _));
        Assert.Equal(error, Assert.Throws<InvalidItemKeyException>(() => ItemKey.Parse(text)).Error);
    }

    [Fact]
    public void Over_long_keys_and_segments_are_refused()
    {
        Assert.Equal(ItemKeyError.TooLong, ItemKey.Validate(new string('a', ItemKey.MaxSegmentLength + 1)));
        Assert.Equal(ItemKeyError.TooLong, ItemKey.Validate(string.Join('/', Enumerable.Repeat("abcdefghi", 103))));
    }

    [Fact]
    public void Keys_compare_ordinally()
    {
        Assert.Equal(ItemKey.Parse("a/b"), ItemKey.Parse("a/b"));
        Assert.NotEqual(ItemKey.Parse("a/B"), ItemKey.Parse("a/b"));
        Assert.Equal("a/b", ItemKey.Parse("a/b").ToString());
    }
}
