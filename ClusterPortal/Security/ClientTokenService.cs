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
    private readonly TimeSpan _renewalGrace;
    private readonly ValidatedTokens _validated = new();

    public ClientTokenService(IOptions<ClusterOptions> cluster, IOptions<PortalOptions> portal, TimeProvider time)
    {
        var secret = cluster.Value.Key ?? throw new InvalidOperationException("Cluster:Key is required.");
        _key = new HmacSha256Key(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: "ClusterPortal client token v1"u8.ToArray()));
        _time = time;
        _lifetime = portal.Value.TokenLifetime;
        _renewalGrace = cluster.Value.ClientIdleTimeout;
    }

    /// <summary>
    /// How long after its expiry a token still renews its own client's session (<c>POST /api/sessions</c>):
    /// <c>Cluster:ClientIdleTimeout</c>, the time the cluster keeps an unseen client's id reserved for it
    /// (docs/architecture.md §5). Without it a device offline past its token's expiry could not log on again until its id
    /// was freed — for up to that long.
    /// </summary>
    public TimeSpan RenewalGrace => _renewalGrace;

    /// <summary>Until when a token that expires at <paramref name="expiresAt"/> renews its client's session (<see cref="RenewalGrace"/> later).</summary>
    public DateTimeOffset RenewableUntil(DateTimeOffset expiresAt) =>
        DateTimeOffset.MaxValue - expiresAt > _renewalGrace ? expiresAt + _renewalGrace : DateTimeOffset.MaxValue;

    /// <summary>Whether a token that expired at <paramref name="expiresAt"/> still renews its client's session now.</summary>
    public bool IsRenewable(DateTimeOffset expiresAt) => _time.GetUtcNow() < RenewableUntil(expiresAt);

    /// <summary>
    /// The client a renewal may be issued to: the token's client when the token is valid, or expired but still
    /// <see cref="IsRenewable"/>; else null.
    /// </summary>
    /// <param name="token">The token as sent after <c>Bearer </c>.</param>
    /// <returns>The client id, or null.</returns>
    public string? ValidateForRenewal(ReadOnlySpan<char> token) => Check(token, out var clientId, out var expiresAt) switch
    {
        TokenCheck.Valid => clientId,
        TokenCheck.Expired when IsRenewable(expiresAt) => clientId,
        _ => null,
    };

    /// <summary>A new token for <paramref name="clientId"/>, valid for <c>Portal:TokenLifetime</c>.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(string clientId)
    {
        var expires = _time.GetUtcNow().Add(_lifetime);
        var body = $"{clientId}.{expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        return ($"{body}.{Mac(body)}", DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }

    /// <summary>The client id the token is bound to, or null when it is malformed, forged or expired.</summary>
    public string? Validate(string? token) => Validate(token.AsSpan());

    /// <summary>The client id the token is bound to, or null when it is malformed, forged or expired (see <see cref="Check"/>).</summary>
    public string? Validate(ReadOnlySpan<char> token) => Check(token, out var clientId, out _) == TokenCheck.Valid ? clientId : null;

    /// <summary>
    /// What a presented token is: <see cref="TokenCheck.Valid"/>, <see cref="TokenCheck.Expired"/> (issued by this cluster,
    /// its MAC verified, but past its expiry) or <see cref="TokenCheck.Invalid"/> (malformed, forged, another cluster's). A
    /// token verified before is found in <see cref="ValidatedTokens"/> (its expiry checked again); otherwise the MAC is
    /// computed into and compared on the stack (constant time), and only the returned id is allocated.
    /// </summary>
    /// <param name="token">The token as sent after <c>Bearer </c>.</param>
    /// <param name="clientId">For a valid or expired token: the client it is bound to; else null.</param>
    /// <param name="expiresAt">For a valid or expired token: its expiry (whole seconds, UTC); else <see cref="DateTimeOffset.MinValue"/>.</param>
    /// <returns>The verdict.</returns>
    public TokenCheck Check(ReadOnlySpan<char> token, out string? clientId, out DateTimeOffset expiresAt)
    {
        (clientId, expiresAt) = (null, DateTimeOffset.MinValue);
        if (token.IsEmpty || token.Length > 256)
        {
            return TokenCheck.Invalid;
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (_validated.TryGet(token, out var known, out var knownExpires))
        {
            (clientId, expiresAt) = (known, DateTimeOffset.FromUnixTimeSeconds(knownExpires));
            return knownExpires > now ? TokenCheck.Valid : TokenCheck.Expired;
        }

        var macDot = token.LastIndexOf('.');
        var expDot = macDot > 0 ? token[..macDot].LastIndexOf('.') : -1;
        if (expDot <= 0)
        {
            return TokenCheck.Invalid;
        }

        Span<char> expected = stackalloc char[MacChars];
        Mac(token[..macDot], expected);
        var given = token[(macDot + 1)..];
        if (!CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(given))
            || !long.TryParse(token[(expDot + 1)..macDot], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || expires is < 0 or > MaxUnixSeconds)
        {
            return TokenCheck.Invalid;
        }

        (clientId, expiresAt) = (token[..expDot].ToString(), DateTimeOffset.FromUnixTimeSeconds(expires));
        if (expires <= now)
        {
            return TokenCheck.Expired;
        }

        _validated.Remember(token, clientId, expires);
        return TokenCheck.Valid;
    }

    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z, the last second DateTimeOffset holds

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

/// <summary>What <see cref="ClientTokenService.Check"/> found a presented token to be.</summary>
public enum TokenCheck
{
    /// <summary>Malformed, forged, or issued under another <c>Cluster:Key</c>.</summary>
    Invalid,

    /// <summary>Issued by this cluster (its MAC verified) and not yet expired.</summary>
    Valid,

    /// <summary>Issued by this cluster (its MAC verified) but past its expiry: it still renews its own client's session
    /// for a while (docs/architecture.md §5).</summary>
    Expired,
}
