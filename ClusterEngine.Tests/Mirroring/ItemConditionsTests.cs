using ClusterEngine.Mirroring;
using ClusterPortal.Client.Contract;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>Header values into <see cref="ItemConditions"/>: what counts, what is ignored.</summary>
public sealed class ItemConditionsTests
{
    [Fact]
    public void Tags_of_several_header_lines_are_one_list()
    {
        var conditions = ItemConditions.FromHeaders(false, ["\"a\"", "W/\"b\", *"], [], []);

        Assert.Equal([new EntityTag("\"a\"", false), new EntityTag("\"b\"", true), EntityTag.Any], conditions.IfNoneMatch);
    }

    [Theory]
    [InlineData("cache-mirror", true)]
    [InlineData("respond-async, Cache-Mirror", true)]
    [InlineData(" cache-mirror ", true)]
    [InlineData("cache-mirror-please", false)]
    [InlineData("return=minimal", false)]
    public void Prefer_cache_mirror_is_one_token_among_others_any_case(string prefer, bool expected)
    {
        Assert.Equal(expected, ItemConditions.FromHeaders(false, [], [prefer], []).PreferMirror);
    }

    [Theory]
    [InlineData("1747b0d900000002", 0x1747b0d900000002UL)]
    [InlineData("1747B0D900000002", 0x1747b0d900000002UL)]
    [InlineData("0000000000000000", null)] // 0 never names a state
    [InlineData("1747b0d9", null)]          // not 16 digits
    [InlineData("1747b0d90000000g", null)]
    [InlineData("", null)]
    public void The_echoed_sequence_is_16_hex_digits_other_than_zero_and_any_echo_counts_as_taking_part(string value, ulong? expected)
    {
        var conditions = ItemConditions.FromHeaders(false, [], [], [value]);

        Assert.Equal(expected, conditions.EchoedSequence);
        Assert.True(conditions.SentSequence);
        Assert.True(conditions.UsesMirror);
    }

    [Fact]
    public void Two_sequence_headers_name_none()
    {
        var conditions = ItemConditions.FromHeaders(false, [], [], ["1747b0d900000002", "1747b0d900000003"]);

        Assert.Equal((null, true), (conditions.EchoedSequence, conditions.SentSequence));
    }

    [Fact]
    public void No_headers_are_no_conditions()
    {
        Assert.Equal(ItemConditions.None, ItemConditions.FromHeaders(false, [], [], []));
        Assert.False(ItemConditions.None.UsesMirror);
    }
}
