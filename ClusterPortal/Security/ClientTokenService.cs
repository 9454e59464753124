using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using ClusterEngine;
using ClusterEngine.Backplane;
using ClusterPortal.Hosting;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>
/// Issues and checks client tokens (docs/architecture.md §5): <c>{clientId}.{expiresUnixSeconds}.{mac}</c>, where
/// <c>mac</c> is HMAC-SHA256 over the first two parts, truncated to 128 bits, base64url. The key is
/// derived with HKDF-SHA256 from <c>Cluster:Key</c>, so every node accepts every node's tokens and
/// they survive restarts. Compact on purpose (about 50 bytes for a 16-character id): a JWT would
/// triple the bytes of a validated hit (README, "Engine figures": at most 350 B per hit).
/// </summary>
public sealed class ClientTokenService : IDisposable
{
    private const int MacBytes = 16;
    private readonly HmacSha256Key _key;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly ValidatedTokens _validated = new();

    public ClientTokenService(IOptions<ClusterOptions> cluster, IOptions<PortalOptions> portal, TimeProvider time)
    {
        var secret = cluster.Value.Key ?? throw new InvalidOperationException("Cluster:Key is required.");
        _key = new HmacSha256Key(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: "ClusterPortal client token v1"u8.ToArray()));
        _time = time;
        _lifetime = portal.Value.TokenLifetime;
    }

    /// <summary>A new token for <paramref name="clientId"/>, valid for <c>Portal:TokenLifetime</c>.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(string clientId)
    {
        var expires = _time.GetUtcNow().Add(_lifetime);
        var body = $"{clientId}.{expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        return ($"{body}.{Mac(body)}", DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }

    /// <summary>The client id the token is bound to, or null when it is malformed, forged or expired.</summary>
    public string? Validate(string? token) => Validate(token.AsSpan());

    /// <summary>
    /// The client id the token is bound to, or null when it is malformed, forged or expired. A token verified before is
    /// found in <see cref="ValidatedTokens"/> (its expiry checked again); otherwise the MAC is computed into and compared on
    /// the stack (constant time), and only the returned id is allocated.
    /// </summary>
    public string? Validate(ReadOnlySpan<char> token)
    {
        if (token.IsEmpty || token.Length > 256)
        {
            return null;
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (_validated.TryGet(token, out var known, out var knownExpires))
        {
            return knownExpires > now ? known : null;
        }

        var macDot = token.LastIndexOf('.');
        var expDot = macDot > 0 ? token[..macDot].LastIndexOf('.') : -1;
        if (expDot <= 0)
        {
            return null;
        }

        Span<char> expected = stackalloc char[MacChars];
        Mac(token[..macDot], expected);
        var given = token[(macDot + 1)..];
        if (!CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(given))
            || !long.TryParse(token[(expDot + 1)..macDot], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || expires <= now)
        {
            return null;
        }

        var clientId = token[..expDot].ToString();
        _validated.Remember(token, clientId, expires);
        return clientId;
    }

    private const int MacChars = 22; // 16 bytes in base64url without padding

    private string Mac(string body)
    {
        Span<char> mac = stackalloc char[MacChars];
        Mac(body, mac);
        return new string(mac);
    }

    private void Mac(ReadOnlySpan<char> body, Span<char> destination)
    {
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(256)];
        var length = Encoding.UTF8.GetBytes(body, bytes);
        Span<byte> mac = stackalloc byte[HmacSha256Key.MacBytes];
        _key.Compute(bytes[..length], mac);
        Base64Url.EncodeToChars(mac[..MacBytes], destination);
    }

    /// <summary>Releases the MAC key's per-thread contexts.</summary>
    public void Dispose() => _key.Dispose();
}
