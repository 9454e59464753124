using System.IO.Hashing;
using System.Text;
using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests.Contract;

public sealed class ItemValidatorTests
{
    [Fact]
    public void Plain_crc64_ecma182_of_123456789_is_the_check_value()
    {
        var crc = Crc64.HashToUInt64("123456789"u8);

        Assert.Equal("6c40df5f0b497347", ItemValidator.ToHex(crc));
    }

    [Fact]
    public void Fig10_step1030_hello_has_the_documented_etag()
    {
        var validator = ItemValidator.Compute("hello"u8);

        Assert.Equal("81b69dda2f09a3e5", ItemValidator.ToHex(validator));
        Assert.Equal("\"81b69dda2f09a3e5\"", ItemValidator.ToETag(validator));
    }

    [Fact]
    public void Length_prefix_makes_leading_zero_bytes_differ()
    {
        Assert.NotEqual(ItemValidator.Compute([1, 2]), ItemValidator.Compute([0, 1, 2]));
        Assert.NotEqual(ItemValidator.Compute([]), ItemValidator.Compute([0]));
    }

    [Fact]
    public void Hex_is_16_lowercase_digits_most_significant_first()
    {
        Assert.Equal("000000000000abcd", ItemValidator.ToHex(0xABCD));
        Assert.Equal("\"ffffffffffffffff\"", ItemValidator.ToETag(ulong.MaxValue));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(16 * 1024)]
    [InlineData(100_003)]
    public async Task Streaming_overload_equals_span_overload(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        using var stream = new MemoryStream(bytes);

        var streamed = await ItemValidator.ComputeAsync(stream, length);

        Assert.Equal(ItemValidator.Compute(bytes), streamed);
    }

    [Fact]
    public async Task Streaming_overload_refuses_a_stream_that_is_shorter_or_longer_than_declared()
    {
        var bytes = Encoding.UTF8.GetBytes("hello");

        await Assert.ThrowsAsync<InvalidDataException>(() => ItemValidator.ComputeAsync(new MemoryStream(bytes), 6).AsTask());
        await Assert.ThrowsAsync<InvalidDataException>(() => ItemValidator.ComputeAsync(new MemoryStream(bytes), 4).AsTask());
    }

    [Fact]
    public void Hex_round_trips_and_rejects_malformed_text()
    {
        var validator = ItemValidator.Compute("hello"u8);

        Assert.True(ItemValidator.TryParseHex(ItemValidator.ToHex(validator), out var parsed));
        Assert.Equal(validator, parsed);
        Assert.False(ItemValidator.TryParseHex("81b69dda2f09a3e", out _));
        Assert.False(ItemValidator.TryParseHex("\"81b69dda2f09a3e5\"", out _));
        Assert.False(ItemValidator.TryParseHex("81b69dda2f09a3zz", out _));
    }
}
