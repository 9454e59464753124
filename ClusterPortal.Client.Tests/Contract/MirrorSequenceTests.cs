using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests.Contract;

/// <summary>The mirror sequence on the wire and the client's adoption rule (patent Fig. 9, "never a wrong 304").</summary>
public sealed class MirrorSequenceTests
{
    [Fact]
    public void Sequences_are_16_lowercase_hex_digits_and_parse_back()
    {
        Assert.Equal("1747b0d900000002", MirrorSequence.Format(0x1747b0d900000002));
        Assert.Equal("0000000000000001", MirrorSequence.Format(1));
        Assert.True(MirrorSequence.TryParse("1747B0D900000002", out var parsed));
        Assert.Equal(0x1747b0d900000002UL, parsed);
    }

    [Theory]
    [InlineData("0000000000000000")]
    [InlineData("2")]
    [InlineData("1747b0d9000000021")]
    [InlineData(" 1747b0d90000000")]
    [InlineData("0x1747b0d9000000")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_names_no_sequence(string? value) => Assert.False(MirrorSequence.TryParse(value, out _));

    [Theory]
    [InlineData(5UL, 5UL, 6UL, true)]      // one request at a time: always adopted
    [InlineData(null, null, 6UL, true)]    // the first answer, or after a cleared cache
    [InlineData(7UL, 5UL, 6UL, false)]     // an older request answered after a newer one: not adopted
    [InlineData(5UL, null, 6UL, false)]    // a request that echoed nothing while the chain had moved on
    [InlineData(5UL, 5UL, null, false)]    // an answer without a sequence changes nothing
    public void An_answer_is_adopted_only_when_it_continues_the_clients_own_chain(ulong? last, ulong? echoed, ulong? answered, bool adopts) =>
        Assert.Equal(adopts, MirrorSequence.Adopts(last, echoed, answered));
}
