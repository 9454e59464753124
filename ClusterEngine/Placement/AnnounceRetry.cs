using System.Security.Cryptography;
using System.Text;

namespace ClusterEngine.Placement;

/// <summary>
/// A device's announce retry key as its claim holders see it (docs/identity.md, "A lost announce answer"): the announcing
/// node turns the key the device sent into a tag, the first 16 bytes of its SHA-256 as 32 lowercase hex digits, and only
/// the tag travels to peers and is kept. The key is a random secret of the device's (at least 16 characters), so the tag
/// neither reveals it nor can be guessed from the client id.
/// </summary>
public static class AnnounceRetry
{
    /// <summary>Length of a tag: 32 hex digits.</summary>
    public const int TagLength = 32;

    /// <summary>
    /// The most placed ids a claim holder remembers a tag for at once; past it the oldest registrations' tags are forgotten
    /// before their window ends (their devices then need their token, as without a key). About 150 bytes each, so at most
    /// about 15 MB per node.
    /// </summary>
    public const int MaxRemembered = 100_000;

    /// <summary>The tag of <paramref name="retryKey"/>.</summary>
    /// <param name="retryKey">The key as the device sent it (validated by the caller).</param>
    public static string Tag(string retryKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(retryKey);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(retryKey), hash);
        return Convert.ToHexStringLower(hash[..(TagLength / 2)]);
    }

    /// <summary>True for null (no key) or a well-formed tag: what a peer's claim may carry.</summary>
    public static bool IsTagOrNone(string? tag) => tag is null || (tag.Length == TagLength && tag.AsSpan().IndexOfAnyExcept(s_hex) < 0);

    private static readonly System.Buffers.SearchValues<char> s_hex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>Compares two tags in constant time.</summary>
    internal static bool Same(string? a, string? b) =>
        a is not null && b is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
