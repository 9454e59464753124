using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;

namespace ClusterPortal.Client.Contract;

/// <summary>
/// The item validator of the wire contract (patent Fig. 10, steps 1000 and 1030): CRC-64/ECMA-182
/// (<see cref="Crc64"/>) over the item's length in bytes as 8 bytes little-endian, followed by the
/// item's bytes. Written as 16 lowercase hex digits, most significant first; as an ETag, quoted.
/// Test vector: the 5-byte item <c>hello</c> has the ETag <c>"81b69dda2f09a3e5"</c>.
/// </summary>
public static class ItemValidator
{
    private const int BufferBytes = 16 * 1024;

    /// <summary>Computes the validator of an item held in memory.</summary>
    /// <param name="item">The item's bytes (any length, including empty).</param>
    /// <returns>The 64-bit validator.</returns>
    public static ulong Compute(ReadOnlySpan<byte> item)
    {
        var crc = Start(item.Length);
        crc.Append(item);
        return crc.GetCurrentHashAsUInt64();
    }

    /// <summary>
    /// Computes the validator of an item read from <paramref name="content"/>, which must yield exactly
    /// <paramref name="lengthBytes"/> bytes (the length is hashed first, so it must be known up front).
    /// </summary>
    /// <param name="content">A readable stream positioned at the item's first byte.</param>
    /// <param name="lengthBytes">The item's length in bytes.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The 64-bit validator.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lengthBytes"/> is negative.</exception>
    /// <exception cref="InvalidDataException">The stream ends before or continues after <paramref name="lengthBytes"/> bytes.</exception>
    public static async ValueTask<ulong> ComputeAsync(Stream content, long lengthBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(lengthBytes);
        var crc = Start(lengthBytes);
        var buffer = new byte[(int)Math.Min(BufferBytes, lengthBytes + 1)];
        long remaining = lengthBytes;
        int read;
        while ((read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining + 1)), cancellationToken)) > 0)
        {
            if (read > remaining)
            {
                throw new InvalidDataException($"The stream holds more than the declared {lengthBytes} bytes.");
            }

            crc.Append(buffer.AsSpan(0, read));
            remaining -= read;
        }

        return remaining == 0
            ? crc.GetCurrentHashAsUInt64()
            : throw new InvalidDataException($"The stream ended {remaining} bytes before the declared {lengthBytes} bytes.");
    }

    /// <summary>Formats a validator as 16 lowercase hex digits, most significant first (e.g. <c>81b69dda2f09a3e5</c>).</summary>
    /// <param name="validator">The 64-bit validator.</param>
    /// <returns>The hex text, always 16 characters.</returns>
    public static string ToHex(ulong validator) => validator.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Formats a validator as a strong ETag: the hex text in double quotes (e.g. <c>"81b69dda2f09a3e5"</c>).</summary>
    /// <param name="validator">The 64-bit validator.</param>
    /// <returns>The quoted ETag, always 18 characters.</returns>
    public static string ToETag(ulong validator) => string.Create(CultureInfo.InvariantCulture, $"\"{validator:x16}\"");

    /// <summary>
    /// Whether <paramref name="quotedTag"/> is the opaque tag of <paramref name="validator"/>, character for character
    /// (<see cref="ToETag"/>: lowercase hex in quotes). With <see cref="EntityTag.Tag"/> this is the weak comparison
    /// of RFC 9110 §8.8.3.2 against the item's ETag, without allocating.
    /// </summary>
    /// <param name="quotedTag">An opaque tag with its quotes, e.g. <c>"81b69dda2f09a3e5"</c>.</param>
    /// <param name="validator">The item's validator.</param>
    /// <returns>Whether the tag names exactly this validator.</returns>
    public static bool IsETagOf(ReadOnlySpan<char> quotedTag, ulong validator)
    {
        Span<char> etag = stackalloc char[18];
        etag[0] = '"';
        etag[17] = '"';
        validator.TryFormat(etag[1..17], out _, "x16", CultureInfo.InvariantCulture);
        return quotedTag.SequenceEqual(etag);
    }

    /// <summary>Parses the 16 hex digits of <see cref="ToHex"/> (an ETag's opaque tag without quotes).</summary>
    /// <param name="hex">Exactly 16 hex digits.</param>
    /// <param name="validator">The parsed validator, or 0 when parsing fails.</param>
    /// <returns><see langword="true"/> when <paramref name="hex"/> is 16 hex digits.</returns>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out ulong validator)
    {
        validator = 0;
        return hex.Length == 16 && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out validator);
    }

    private static Crc64 Start(long lengthBytes)
    {
        var crc = new Crc64();
        Span<byte> prefix = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(prefix, lengthBytes);
        crc.Append(prefix);
        return crc;
    }
}
