using ClusterEngine.Mirroring;
using ClusterEngine.Persistence;
using FsCheck;
using FsCheck.Xunit;

namespace ClusterEngine.Tests.Persistence;

/// <summary>
/// The packed form of a client's mirror entries (docs/persistence.md, "Mirrors: one row per client"): what is packed comes
/// back unchanged, in order; anything else is refused with a reason, never half-read and never an exception.
/// </summary>
public sealed class MirrorEntriesCodecTests
{
    [Property(MaxTest = 300)]
    public void Packed_entries_come_back_unchanged_and_in_order(NonNull<string>[] keys, ulong[] validators, long[] sizes, ulong[] sequences)
    {
        var entries = keys.Select((k, i) => new MirrorEntry(
            k.Get,
            validators.Length == 0 ? 0 : validators[i % validators.Length],
            sizes.Length == 0 ? 0 : Math.Abs(sizes[i % sizes.Length] % long.MaxValue),
            sequences.Length == 0 ? ulong.MaxValue : sequences[i % sequences.Length])).ToArray();
        if (entries.Any(e => !IsWellFormed(e.Key)))
        {
            return; // a key that is not valid UTF-16 (a lone surrogate) is not an item key (docs/architecture.md §5)
        }

        var packed = MirrorEntriesCodec.Encode(entries);

        Assert.True(MirrorEntriesCodec.TryDecode(packed, new MirrorEntriesCodec.KeyCache(), out var decoded, out var problem), problem);
        Assert.Equal(entries, decoded);
        Assert.True(MirrorEntriesCodec.TryDecode(packed, null, out var uncached, out _));
        Assert.Equal(entries, uncached);
    }

    [Property(MaxTest = 500)]
    public void Any_bytes_decode_or_are_refused_without_an_exception(byte[] bytes)
    {
        if (MirrorEntriesCodec.TryDecode(bytes, new MirrorEntriesCodec.KeyCache(), out var entries, out var problem))
        {
            Assert.Null(problem);
            Assert.True(MirrorEntriesCodec.TryDecode(MirrorEntriesCodec.Encode(entries), null, out var again, out _));
            Assert.Equal(entries, again);
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(problem));
            Assert.Empty(entries);
        }
    }

    [Fact]
    public void Every_truncation_of_a_packed_list_is_refused()
    {
        var packed = MirrorEntriesCodec.Encode(
            [new MirrorEntry("items/a.json", ulong.MaxValue, 4096, 0x1747b0d900000002), new MirrorEntry("ключ", 7, 300, 1)]);

        for (var length = 0; length < packed.Length; length++)
        {
            Assert.False(MirrorEntriesCodec.TryDecode(packed.AsSpan(0, length), null, out _, out var problem), $"length {length}");
            Assert.NotNull(problem);
        }

        Assert.False(MirrorEntriesCodec.TryDecode([.. packed, 0], null, out _, out var trailing));
        Assert.Equal("1 trailing bytes", trailing);
    }

    [Fact]
    public void Decoded_keys_share_one_string_per_key_across_rows()
    {
        var packed = MirrorEntriesCodec.Encode([new MirrorEntry("items/shared.json", 1, 1, 1)]);
        var keys = new MirrorEntriesCodec.KeyCache();

        MirrorEntriesCodec.TryDecode(packed, keys, out var first, out _);
        MirrorEntriesCodec.TryDecode(packed, keys, out var second, out _);

        Assert.Same(first[0].Key, second[0].Key);
    }

    [Fact]
    public void Sixteen_entries_with_24_character_keys_pack_into_about_50_bytes_each()
    {
        var entries = Enumerable.Range(0, 16).Select(i => new MirrorEntry($"catalogue/item-{i:D4}.json", ulong.MaxValue - (ulong)i, 4096, 0x1747b0d900000000 + (ulong)i)).ToArray();
        Assert.Equal(24, entries[0].Key.Length);

        var packed = MirrorEntriesCodec.Encode(entries);

        Assert.Equal(2 + 16 * (1 + 24 + 8 + 2 + 8), packed.Length);
    }

    private static bool IsWellFormed(string s) => System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(s)) == s;

    [Fact]
    public void A_key_that_is_not_valid_UTF_16_is_packed_with_a_replacement_character_not_an_exception()
    {
        // The writer's thread must never fail a batch on one value: a lone surrogate becomes U+FFFD (a key no request names).
        var packed = MirrorEntriesCodec.Encode([new MirrorEntry("a\uD800b", 1, 1, 1)]);

        Assert.True(MirrorEntriesCodec.TryDecode(packed, null, out var decoded, out _));
        Assert.Equal("a\uFFFDb", decoded[0].Key);
    }
}
