using System.Security.Cryptography;

namespace ClusterPortal.Client.Contract;

/// <summary>
/// The SHA-256 of a dictionary, which names one version of an item in RFC 9842 (Compression Dictionary Transport):
/// what a client sends in <see cref="ClusterHeaders.AvailableDictionary"/> and what a <c>dcz</c> body starts with
/// (<see cref="DczCodec"/>). On the wire, a structured-field byte sequence (RFC 9651 §3.3.5): the 32 bytes in base64
/// between colons, e.g. <c>:pZGm1Av0IEBKARczz7exkNYsZb8LzaMrV7J32a2fFG4=:</c>.
/// </summary>
public readonly struct DictionaryHash : IEquatable<DictionaryHash>
{
    /// <summary>Bytes of a SHA-256 hash.</summary>
    public const int Length = 32;

    private readonly byte[]? _bytes;

    private DictionaryHash(byte[] bytes) => _bytes = bytes;

    /// <summary>The 32 bytes (empty for <c>default</c>).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The hash of <paramref name="dictionary"/>.</summary>
    /// <param name="dictionary">The dictionary's bytes (the item version a client holds).</param>
    /// <returns>Its SHA-256.</returns>
    public static DictionaryHash Of(ReadOnlySpan<byte> dictionary) => new(SHA256.HashData(dictionary));

    /// <summary>A hash from its 32 bytes.</summary>
    /// <param name="bytes">Exactly <see cref="Length"/> bytes.</param>
    /// <returns>The hash.</returns>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public static DictionaryHash FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == Length ? new(bytes.ToArray()) : throw new ArgumentException($"A SHA-256 hash has {Length} bytes, not {bytes.Length}.", nameof(bytes));

    /// <summary>
    /// Parses an <c>Available-Dictionary</c> field value: optional spaces, <c>:</c>, base64 (padding optional, as RFC 9651
    /// §4.2.7 allows), <c>:</c>, optional parameters (<c>;…</c>, ignored), optional spaces. Anything else — several
    /// values, another type, bad base64, another length than 32 bytes — is not a hash: the caller answers as if the
    /// field were absent, never with an error.
    /// </summary>
    /// <param name="value">The field value, or null when absent.</param>
    /// <param name="hash">The hash, or <c>default</c>.</param>
    /// <returns>Whether <paramref name="value"/> names a hash.</returns>
    public static bool TryParseHeader(string? value, out DictionaryHash hash)
    {
        hash = default;
        var field = value.AsSpan().Trim(' ');
        if (field.Length < 2 || field[0] != ':')
        {
            return false;
        }

        var end = field[1..].IndexOf(':');
        if (end < 0)
        {
            return false;
        }

        var rest = field[(end + 2)..];
        if (!rest.IsEmpty && rest[0] != ';')
        {
            return false;
        }

        var encoded = field.Slice(1, end);
        if (encoded.Length is < 43 or > 44 || encoded.ContainsAnyExcept(Base64Alphabet))
        {
            return false;
        }

        Span<char> padded = stackalloc char[44];
        encoded.CopyTo(padded);
        padded[encoded.Length..].Fill('=');
        Span<byte> bytes = stackalloc byte[33];
        if (!Convert.TryFromBase64Chars(padded, bytes, out var written) || written != Length)
        {
            return false;
        }

        hash = new DictionaryHash(bytes[..Length].ToArray());
        return true;
    }

    /// <summary>The field value: <c>:base64:</c> with padding.</summary>
    /// <returns>The header value.</returns>
    public string ToHeader() => ":" + Convert.ToBase64String(Bytes) + ":";

    /// <inheritdoc/>
    public bool Equals(DictionaryHash other) => Bytes.SequenceEqual(other.Bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is DictionaryHash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _bytes is null ? 0 : BitConverter.ToInt32(_bytes, 0);

    /// <inheritdoc/>
    public override string ToString() => ToHeader();

    /// <summary>Equality of the 32 bytes.</summary>
    public static bool operator ==(DictionaryHash left, DictionaryHash right) => left.Equals(right);

    /// <summary>Inequality of the 32 bytes.</summary>
    public static bool operator !=(DictionaryHash left, DictionaryHash right) => !left.Equals(right);

    private static readonly System.Buffers.SearchValues<char> Base64Alphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
}
