using ZstdSharp.Unsafe;

namespace ClusterPortal.Client.Contract;

/// <summary>
/// The <c>dcz</c> content coding of RFC 9842 §4 ("Dictionary-Compressed Zstandard"), both directions: a 40-byte header —
/// the zstd skippable-frame magic <c>5E 2A 4D 18</c>, the length 32 as 4 bytes little-endian, the SHA-256 of the
/// dictionary (<see cref="DictionaryHash"/>) — followed by one zstd frame (RFC 8878) compressed with the dictionary
/// loaded as <em>raw content</em> (zstd's <c>ZSTD_dct_rawContent</c>, set explicitly on both sides rather than
/// auto-detected, so a dictionary that happens to start with zstd's dictionary magic is still raw bytes). The codec
/// is ZstdSharp.Port's port of the reference zstd library, called through its advanced dictionary API
/// (<c>ZSTD_CCtx_loadDictionary_advanced</c>, <c>ZSTD_DCtx_loadDictionary_advanced</c>).
/// </summary>
/// <remarks>
/// The frame carries its content size (the decoder checks it against a limit before allocating) and no checksum: the
/// item's ETag (CRC-64, <see cref="ItemValidator"/>) checks the decoded bytes end to end.
/// </remarks>
public static unsafe class DczCodec
{
    /// <summary>Bytes of the <c>dcz</c> header before the zstd frame.</summary>
    public const int HeaderLength = 8 + DictionaryHash.Length;

    /// <summary>The zstd compression level of <see cref="Encode"/> (zstd's default; deltas of small edits are tens of bytes at any level).</summary>
    public const int CompressionLevel = 3;

    private static ReadOnlySpan<byte> Magic => [0x5E, 0x2A, 0x4D, 0x18, DictionaryHash.Length, 0, 0, 0];

    /// <summary>Encodes <paramref name="content"/> against <paramref name="dictionary"/>.</summary>
    /// <param name="dictionary">The version the client holds (raw bytes).</param>
    /// <param name="dictionaryHash">Its SHA-256 (not recomputed here).</param>
    /// <param name="content">The current version.</param>
    /// <returns>The <c>dcz</c> body: header and zstd frame.</returns>
    /// <exception cref="InvalidOperationException">zstd reported an error (not expected for valid inputs).</exception>
    public static byte[] Encode(ReadOnlySpan<byte> dictionary, DictionaryHash dictionaryHash, ReadOnlySpan<byte> content)
    {
        var bound = (int)Methods.ZSTD_compressBound((nuint)content.Length);
        var output = new byte[HeaderLength + bound];
        Magic.CopyTo(output);
        dictionaryHash.Bytes.CopyTo(output.AsSpan(8));
        var context = Methods.ZSTD_createCCtx();
        try
        {
            Check(Methods.ZSTD_CCtx_setParameter(context, ZSTD_cParameter.ZSTD_c_compressionLevel, CompressionLevel));
            Check(Methods.ZSTD_CCtx_setParameter(context, ZSTD_cParameter.ZSTD_c_checksumFlag, 0));
            Check(Methods.ZSTD_CCtx_setParameter(context, ZSTD_cParameter.ZSTD_c_contentSizeFlag, 1));
            Check(Methods.ZSTD_CCtx_setParameter(context, ZSTD_cParameter.ZSTD_c_dictIDFlag, 0));
            fixed (byte* dict = dictionary)
            fixed (byte* source = content)
            fixed (byte* destination = &output[HeaderLength])
            {
                Check(Methods.ZSTD_CCtx_loadDictionary_advanced(context, dict, (nuint)dictionary.Length,
                    ZSTD_dictLoadMethod_e.ZSTD_dlm_byRef, ZSTD_dictContentType_e.ZSTD_dct_rawContent));
                var written = Check(Methods.ZSTD_compress2(context, destination, (nuint)bound, source, (nuint)content.Length));
                return output.AsSpan(0, HeaderLength + (int)written).ToArray();
            }
        }
        finally
        {
            Methods.ZSTD_freeCCtx(context);
        }
    }

    /// <summary>Reads the dictionary hash a <c>dcz</c> body names, without decoding it.</summary>
    /// <param name="body">The body as received.</param>
    /// <param name="dictionaryHash">The hash, or <c>default</c>.</param>
    /// <returns>False when the body does not start with a <c>dcz</c> header.</returns>
    public static bool TryReadHeader(ReadOnlySpan<byte> body, out DictionaryHash dictionaryHash)
    {
        dictionaryHash = default;
        if (body.Length < HeaderLength || !body[..8].SequenceEqual(Magic))
        {
            return false;
        }

        dictionaryHash = DictionaryHash.FromBytes(body.Slice(8, DictionaryHash.Length));
        return true;
    }

    /// <summary>Decodes a <c>dcz</c> body with <paramref name="dictionary"/>, the version the body says it was encoded against.</summary>
    /// <param name="body">The body: header and one zstd frame.</param>
    /// <param name="dictionary">The dictionary's bytes; their SHA-256 must be the one in the header.</param>
    /// <param name="maxBytes">The largest decoded size accepted.</param>
    /// <returns>The decoded bytes.</returns>
    /// <exception cref="InvalidDataException">Not a <c>dcz</c> body, another dictionary, a frame without its size or larger
    /// than <paramref name="maxBytes"/>, or a damaged frame.</exception>
    public static byte[] Decode(ReadOnlySpan<byte> body, ReadOnlySpan<byte> dictionary, int maxBytes)
    {
        if (!TryReadHeader(body, out var named))
        {
            throw new InvalidDataException("The body does not start with a dcz header (RFC 9842 §4).");
        }

        if (named != DictionaryHash.Of(dictionary))
        {
            throw new InvalidDataException($"The body was encoded against dictionary {named}, not the one held.");
        }

        var frame = body[HeaderLength..];
        fixed (byte* source = frame)
        fixed (byte* dict = dictionary)
        {
            var size = Methods.ZSTD_getFrameContentSize(source, (nuint)frame.Length);
            if (size > (ulong)maxBytes)
            {
                throw new InvalidDataException($"The zstd frame names no content size, or one above {maxBytes} bytes.");
            }

            var output = new byte[(int)size];
            var context = Methods.ZSTD_createDCtx();
            try
            {
                DecodeCheck(Methods.ZSTD_DCtx_loadDictionary_advanced(context, dict, (nuint)dictionary.Length,
                    ZSTD_dictLoadMethod_e.ZSTD_dlm_byRef, ZSTD_dictContentType_e.ZSTD_dct_rawContent));
                fixed (byte* destination = output)
                {
                    var written = DecodeCheck(Methods.ZSTD_decompressDCtx(context, output.Length == 0 ? null : destination, (nuint)output.Length,
                        source, (nuint)frame.Length));
                    return written == (nuint)output.Length
                        ? output
                        : throw new InvalidDataException($"The zstd frame decoded to {written} bytes, not the {size} it names.");
                }
            }
            finally
            {
                Methods.ZSTD_freeDCtx(context);
            }
        }
    }

    private static nuint Check(nuint code) => Methods.ZSTD_isError(code)
        ? throw new InvalidOperationException("zstd: " + new string(Methods.ZSTD_getErrorName(code)))
        : code;

    private static nuint DecodeCheck(nuint code) => Methods.ZSTD_isError(code)
        ? throw new InvalidDataException("The zstd frame cannot be decoded: " + new string(Methods.ZSTD_getErrorName(code)))
        : code;
}
