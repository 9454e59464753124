using System.Security.Cryptography;
using System.Text;
using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests.Contract;

/// <summary>RFC 9842 on the wire: the <c>Available-Dictionary</c> byte sequence and the <c>dcz</c> coding (header + zstd with a raw-content dictionary).</summary>
public sealed class DeltaContractTests
{
    private static readonly byte[] s_old = Item(seed: 1, field: "\"temperature\": 21");
    private static readonly byte[] s_new = Item(seed: 1, field: "\"temperature\": 22");

    [Fact]
    public void A_hash_round_trips_through_its_structured_field_form()
    {
        var hash = DictionaryHash.Of(Encoding.ASCII.GetBytes("hello"));
        Assert.Equal(":LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:", hash.ToHeader());
        Assert.True(DictionaryHash.TryParseHeader(hash.ToHeader(), out var parsed));
        Assert.Equal(hash, parsed);
        Assert.True(DictionaryHash.TryParseHeader("  :LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ:;p=1 ", out var unpadded));
        Assert.Equal(hash, unpadded);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(":")]
    [InlineData("::")]
    [InlineData("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")]                  // not a byte sequence
    [InlineData(":LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")]                 // unterminated
    [InlineData(":LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLm=:")]                  // 31 bytes
    [InlineData(":LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQAAA=:")]             // 35 bytes
    [InlineData(":LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:")]                // base64url, not base64
    [InlineData(":LPJNul+wow4m6Dsqxbn hsWHlwfp0JecwQzYpOLmCQ=:")]                 // a space inside
    [InlineData(":LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:, :LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:")] // a list
    [InlineData("\"LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=\"")]              // a string
    public void Anything_but_one_32_byte_sequence_names_no_dictionary(string? value) =>
        Assert.False(DictionaryHash.TryParseHeader(value, out _));

    [Fact]
    public void A_dcz_body_is_the_40_byte_header_then_a_zstd_frame_that_decodes_with_the_old_version()
    {
        var hash = DictionaryHash.Of(s_old);
        var body = DczCodec.Encode(s_old, hash, s_new);

        Assert.Equal([0x5E, 0x2A, 0x4D, 0x18, 0x20, 0, 0, 0], body[..8]);
        Assert.Equal(SHA256.HashData(s_old), body[8..40]);
        Assert.Equal([0x28, 0xB5, 0x2F, 0xFD], body[40..44]);                 // zstd frame magic
        Assert.True(DczCodec.TryReadHeader(body, out var named));
        Assert.Equal(hash, named);
        Assert.Equal(s_new, DczCodec.Decode(body, s_old, s_new.Length));
    }

    [Fact]
    public void A_one_field_edit_of_a_4_KiB_json_item_costs_under_5_percent()
    {
        var body = DczCodec.Encode(s_old, DictionaryHash.Of(s_old), s_new);
        Assert.InRange(s_new.Length, 4000, 4200);
        Assert.True(body.Length <= s_new.Length / 20, $"{body.Length} B for a {s_new.Length} B item");
        Console.WriteLine($"delta of a one-field edit: {body.Length} B for a {s_new.Length} B item ({100.0 * body.Length / s_new.Length:0.0} %)");
    }

    [Fact]
    public void The_dictionary_is_raw_content_even_when_it_starts_with_zstds_dictionary_magic()
    {
        byte[] dictionary = [0x37, 0xA4, 0x30, 0xEC, .. s_old];   // ZSTD_MAGIC_DICTIONARY, little-endian
        var body = DczCodec.Encode(dictionary, DictionaryHash.Of(dictionary), s_new);
        Assert.Equal(s_new, DczCodec.Decode(body, dictionary, s_new.Length));
    }

    [Fact]
    public void Decoding_with_another_dictionary_a_damaged_frame_or_too_large_a_size_is_refused()
    {
        var body = DczCodec.Encode(s_old, DictionaryHash.Of(s_old), s_new);
        Assert.Throws<InvalidDataException>(() => DczCodec.Decode(body, s_new, s_new.Length));
        Assert.Throws<InvalidDataException>(() => DczCodec.Decode(body, s_old, s_new.Length - 1));
        Assert.Throws<InvalidDataException>(() => DczCodec.Decode(body.AsSpan(0, body.Length - 3), s_old, s_new.Length));
        Assert.Throws<InvalidDataException>(() => DczCodec.Decode(body.AsSpan(0, 20), s_old, s_new.Length));
        var damaged = (byte[])body.Clone();
        damaged[^2] ^= 0xFF;
        try
        {
            Assert.NotEqual(s_new, DczCodec.Decode(damaged, s_old, s_new.Length));
        }
        catch (InvalidDataException)
        {
            // zstd noticed; either way the item's CRC-64 ETag catches what it does not.
        }
    }

    /// <summary>A JSON item of about 4 KiB: 64 readings, one of them <paramref name="field"/>.</summary>
    internal static byte[] Item(int seed, string field)
    {
        var random = new Random(seed);
        var text = new StringBuilder("{\n  \"station\": \"berlin-tempelhof\",\n  ").Append(field).Append(",\n  \"readings\": [\n");
        for (var i = 0; i < 64; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"    {{\"at\": \"2026-12-03T{i / 60:D2}:{i % 60:D2}:00Z\", \"value\": {random.Next(-200, 400) / 10.0:0.0}, \"ok\": true}}");
            text.Append(i < 63 ? ",\n" : "\n");
        }

        return Encoding.UTF8.GetBytes(text.Append("  ]\n}\n").ToString());
    }
}
