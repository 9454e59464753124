using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ClusterEngine.Mirroring;

namespace ClusterEngine.Persistence;

/// <summary>
/// The packed form of one client's mirror entries in the <c>Mirrors</c> table's <c>Entries</c> column (docs/persistence.md,
/// "Mirrors: one row per client"): a million clients are a million rows, not sixteen million.
/// </summary>
/// <remarks>
/// Layout, little-endian: one format byte (<see cref="Format"/>), the entry count as an unsigned LEB128 varint, then per
/// entry, least recently used first: the key's UTF-8 length (varint) and bytes, the validator (8 bytes), the size in bytes
/// (varint), the entry's mirror sequence (8 bytes). About 18 bytes plus the key per entry. Decoding checks every length
/// against what is left and refuses a wrong format byte, invalid UTF-8, a negative size or trailing bytes: a damaged row is
/// reported, never half-read.
/// </remarks>
internal static class MirrorEntriesCodec
{
    /// <summary>The format byte of this layout.</summary>
    public const byte Format = 1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Packs <paramref name="entries"/> (least recently used first) into a new array.</summary>
    public static byte[] Encode(IReadOnlyList<MirrorEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var writer = new ArrayBufferWriter<byte>(16 + entries.Count * 48);
        writer.GetSpan(1)[0] = Format;
        writer.Advance(1);
        WriteVarint(writer, (ulong)entries.Count);
        foreach (var entry in entries)
        {
            // Never throws: a key that is not valid UTF-16 (no request can name it) is stored with U+FFFD in its place.
            var keyLength = Encoding.UTF8.GetByteCount(entry.Key);
            WriteVarint(writer, (ulong)keyLength);
            writer.Advance(Encoding.UTF8.GetBytes(entry.Key, writer.GetSpan(keyLength)));
            BinaryPrimitives.WriteUInt64LittleEndian(writer.GetSpan(8), entry.Validator);
            writer.Advance(8);
            WriteVarint(writer, (ulong)entry.SizeBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(writer.GetSpan(8), entry.Sequence);
            writer.Advance(8);
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Unpacks what <see cref="Encode"/> wrote. <paramref name="keys"/> (optional) maps each decoded key to a shared instance,
    /// so that restoring a million clients does not allocate sixteen million key strings.
    /// </summary>
    /// <returns><see langword="false"/> with <paramref name="problem"/> set when the bytes are not a packed entry list.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> packed, KeyCache? keys, out MirrorEntry[] entries, out string? problem)
    {
        var decoded = new List<MirrorEntry>();
        var ok = TryDecode(packed, keys, decoded, out problem);
        entries = ok ? [.. decoded] : [];
        return ok;
    }

    /// <summary>
    /// <see cref="TryDecode(ReadOnlySpan{byte}, KeyCache?, out MirrorEntry[], out string?)"/> into a list the caller reuses
    /// (cleared first; left empty on failure), for a reader that decodes a million rows.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> packed, KeyCache? keys, List<MirrorEntry> into, out string? problem)
    {
        into.Clear();
        problem = Decode(packed, keys, into);
        if (problem is not null)
        {
            into.Clear();
        }

        return problem is null;
    }

    private static string? Decode(ReadOnlySpan<byte> packed, KeyCache? keys, List<MirrorEntry> into)
    {
        if (packed.IsEmpty || packed[0] != Format)
        {
            return packed.IsEmpty ? "empty" : $"unknown format {packed[0]}";
        }

        var at = 1;
        if (!TryReadVarint(packed, ref at, out var count) || count > (ulong)(packed.Length - at) / 18)
        {
            return "bad entry count";
        }

        into.EnsureCapacity((int)count);
        Span<char> chars = stackalloc char[256];
        for (var i = 0; i < (int)count; i++)
        {
            if (!TryReadVarint(packed, ref at, out var keyLength) || keyLength > (ulong)(packed.Length - at))
            {
                return $"entry {i}: bad key length";
            }

            string key;
            try
            {
                key = ReadKey(packed.Slice(at, (int)keyLength), keys, chars);
            }
            catch (DecoderFallbackException)
            {
                return $"entry {i}: key is not UTF-8";
            }

            at += (int)keyLength;
            if (packed.Length - at < 8)
            {
                return $"entry {i}: truncated";
            }

            var validator = BinaryPrimitives.ReadUInt64LittleEndian(packed[at..]);
            at += 8;
            if (!TryReadVarint(packed, ref at, out var size) || size > long.MaxValue || packed.Length - at < 8)
            {
                return $"entry {i}: bad size or truncated";
            }

            var sequence = BinaryPrimitives.ReadUInt64LittleEndian(packed[at..]);
            at += 8;
            into.Add(new MirrorEntry(key, validator, (long)size, sequence));
        }

        return at == packed.Length ? null : $"{packed.Length - at} trailing bytes";
    }

    private static string ReadKey(ReadOnlySpan<byte> utf8, KeyCache? keys, Span<char> buffer)
    {
        if (keys is null || utf8.Length > buffer.Length)
        {
            return StrictUtf8.GetString(utf8);
        }

        var written = StrictUtf8.GetChars(utf8, buffer);
        return keys.Share(buffer[..written]);
    }

    private static void WriteVarint(ArrayBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        writer.Advance(n);
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> packed, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && at < packed.Length; shift += 7)
        {
            var b = packed[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return shift < 63 || b <= 1;
            }
        }

        return false;
    }

    /// <summary>
    /// Key strings shared across the rows of one load, looked up by characters without allocating (at most
    /// <see cref="ItemKeyPool.Capacity"/> keys; beyond that each key is its own string). Not thread-safe: one per reader.
    /// </summary>
    internal sealed class KeyCache
    {
        private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        public KeyCache() => _lookup = _keys.GetAlternateLookup<ReadOnlySpan<char>>();

        public string Share(ReadOnlySpan<char> key)
        {
            if (_lookup.TryGetValue(key, out var shared))
            {
                return shared;
            }

            shared = key.ToString();
            if (_keys.Count < ItemKeyPool.Capacity)
            {
                _keys[shared] = shared;
            }

            return shared;
        }
    }
}
