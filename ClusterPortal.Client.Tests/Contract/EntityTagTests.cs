using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests.Contract;

/// <summary><c>If-None-Match</c> lists (RFC 9110 §8.8.3, §13.1.2); agreement with ASP.NET Core is a property test in the node's tests.</summary>
public sealed class EntityTagTests
{
    [Fact]
    public void A_list_keeps_order_weakness_and_star()
    {
        Assert.True(EntityTag.TryParseList(["W/\"a\" , \"b\",*"], out var tags));

        Assert.Equal([new EntityTag("\"a\"", true), new EntityTag("\"b\"", false), EntityTag.Any], tags);
        Assert.True(tags[2].IsAny);
        Assert.Equal("W/\"a\"", tags[0].ToString());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("\"a\" \"b\"")]
    [InlineData("\"a\", b")]
    [InlineData("W\"a\"")]
    [InlineData("\"open")]
    public void One_invalid_member_makes_the_field_invalid(string value)
    {
        Assert.False(EntityTag.TryParseList([value], out var tags));
        Assert.Null(tags);
    }

    [Fact]
    public void A_field_with_no_tag_names_none()
    {
        Assert.False(EntityTag.TryParseList([], out _));
        Assert.False(EntityTag.TryParseList(["", " , ,"], out _));
        Assert.False(EntityTag.TryParseList([null], out _));
    }

    [Fact]
    public void Weak_comparison_ignores_weakness_but_not_case()
    {
        var strong = new EntityTag("\"81b69dda2f09a3e5\"", false);

        Assert.True(strong.WeaklyMatches(strong with { IsWeak = true }));
        Assert.False(strong.WeaklyMatches(new EntityTag("\"81B69DDA2F09A3E5\"", false)));
        Assert.True(ItemValidator.IsETagOf(strong.Tag, 0x81b69dda2f09a3e5));
        Assert.False(ItemValidator.IsETagOf("\"81B69DDA2F09A3E5\"", 0x81b69dda2f09a3e5));
        Assert.False(ItemValidator.IsETagOf("81b69dda2f09a3e5", 0x81b69dda2f09a3e5));
    }
}
