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
/// Issues and checks client tokens (docs/architecture.md §5): <c>{clientId}.{expiresUnixSeconds}.{registration}.{mac}</c>,
/// where <c>registration</c> is the registration stamp of the client's assignment the token was issued for
/// (<see cref="ClusterEngine.Placement.Assignment.Registration"/>, in base64url digits) and <c>mac</c> is HMAC-SHA256 over
/// the first three parts, truncated to 128 bits, base64url. The key is derived with HKDF-SHA256 from <c>Cluster:Key</c>,
/// so every node accepts every node's tokens and they survive restarts; while the cluster changes its key, tokens made with
/// one of <c>Cluster:AcceptedKeys</c> are accepted too (new ones are made with <c>Cluster:Key</c>). A token of an earlier registration of its client
/// id — one issued before the id was removed as idle and announced again, by whichever device — is
/// <see cref="TokenCheck.Superseded"/>: it opens and renews nothing. Tokens of the format before the stamp,
/// <c>{clientId}.{expiresUnixSeconds}.{mac}</c> (MAC under a key of its own, so neither format can be read as the other),
/// are still accepted until they expire, bound to the id alone. Compact on purpose (61 bytes for a 16-character id):
/// a JWT would triple the bytes of a validated hit (README, "Engine figures": at most 350 B per hit).
/// </summary>
public sealed class ClientTokenService : IDisposable
{
    private const int MacBytes = 16;
    private readonly HmacSha256Key[] _keys; // Cluster:Key (issues and checks), then Cluster:AcceptedKeys (check only)
    private readonly HmacSha256Key[] _legacyKeys; // the format before the registration stamp, under the same keys
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly TimeSpan _renewalGrace;
    private readonly ClusterState? _registrations;
    private readonly ValidatedTokens _validated = new();

    /// <summary>Creates the service.</summary>
    /// <param name="cluster">Options: <c>Cluster:Key</c> (the MAC key) and <c>Cluster:ClientIdleTimeout</c> (the renewal grace).</param>
    /// <param name="portal">Options: <c>Portal:TokenLifetime</c>.</param>
    /// <param name="time">The clock of expiries.</param>
    /// <param name="registrations">The view whose assignments say each client id's current registration; null checks no
    /// registration (every token stands for its id alone, as before the stamp).</param>
    public ClientTokenService(IOptions<ClusterOptions> cluster, IOptions<PortalOptions> portal, TimeProvider time, ClusterState? registrations = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        _keys = [.. cluster.Value.VerificationKeys().Select(k =>
            new HmacSha256Key(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(k), 32, info: "ClusterPortal client token v2"u8.ToArray())))];
        _legacyKeys = [.. cluster.Value.VerificationKeys().Select(k =>
            new HmacSha256Key(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(k), 32, info: "ClusterPortal client token v1"u8.ToArray())))];
        _time = time;
        _lifetime = portal.Value.TokenLifetime;
        _renewalGrace = cluster.Value.ClientIdleTimeout;
        _registrations = registrations;
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
    /// <see cref="IsRenewable"/>; else null (a <see cref="TokenCheck.Superseded"/> token renews nothing).
    /// </summary>
    /// <param name="token">The token as sent after <c>Bearer </c>.</param>
    /// <returns>The client id, or null.</returns>
    public string? ValidateForRenewal(ReadOnlySpan<char> token) => Check(token, out var clientId, out var expiresAt) switch
    {
        TokenCheck.Valid => clientId,
        TokenCheck.Expired when IsRenewable(expiresAt) => clientId,
        _ => null,
    };

    /// <summary>
    /// A new token for <paramref name="clientId"/>'s registration <paramref name="registration"/>, valid for
    /// <c>Portal:TokenLifetime</c>.
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="registration">The registration stamp of the client's current assignment
    /// (<see cref="ClusterEngine.Placement.Assignment.Registration"/>); 0 when unknown (an assignment from before the stamp),
    /// which binds the token to the id alone.</param>
    /// <exception cref="ArgumentOutOfRangeException">The registration is negative.</exception>
    public (string Token, DateTimeOffset ExpiresAt) Issue(string clientId, long registration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(registration);
        var expires = _time.GetUtcNow().Add(_lifetime).ToUnixTimeSeconds();
        Span<char> stamp = stackalloc char[MaxStampChars];
        var body = string.Create(CultureInfo.InvariantCulture, $"{clientId}.{expires}.{stamp[..EncodeStamp(registration, stamp)]}");
        Span<char> mac = stackalloc char[MacChars];
        Mac(_keys[0], body, mac);
        return (string.Create(CultureInfo.InvariantCulture, $"{body}.{mac}"), DateTimeOffset.FromUnixTimeSeconds(expires));
    }

    /// <summary>The client id the token is bound to, or null when it is malformed, forged, expired or superseded.</summary>
    public string? Validate(string? token) => Validate(token.AsSpan());

    /// <summary>The client id the token is bound to, or null when it is malformed, forged, expired or superseded (see <see cref="Check"/>).</summary>
    public string? Validate(ReadOnlySpan<char> token) => Check(token, out var clientId, out _) == TokenCheck.Valid ? clientId : null;

    /// <summary>
    /// What a presented token is: <see cref="TokenCheck.Valid"/>, <see cref="TokenCheck.Expired"/> (issued by this cluster,
    /// its MAC verified, but past its expiry), <see cref="TokenCheck.Superseded"/> (issued by this cluster for an earlier
    /// registration of its client id) or <see cref="TokenCheck.Invalid"/> (malformed, forged, another cluster's). A token
    /// verified before is found in <see cref="ValidatedTokens"/> (its expiry and registration checked again); otherwise the
    /// MAC is computed into and compared on the stack (constant time), and only the returned id is allocated. The
    /// registration is compared with the client's current one read lock-free from the view
    /// (<see cref="ClusterState.RegistrationOf"/>): no lock, no allocation.
    /// </summary>
    /// <param name="token">The token as sent after <c>Bearer </c>.</param>
    /// <param name="clientId">For a valid, expired or superseded token: the client it is bound to; else null.</param>
    /// <param name="expiresAt">For a valid, expired or superseded token: its expiry (whole seconds, UTC); else <see cref="DateTimeOffset.MinValue"/>.</param>
    /// <returns>The verdict.</returns>
    public TokenCheck Check(ReadOnlySpan<char> token, out string? clientId, out DateTimeOffset expiresAt)
    {
        (clientId, expiresAt) = (null, DateTimeOffset.MinValue);
        if (token.IsEmpty || token.Length > 256)
        {
            return TokenCheck.Invalid;
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (_validated.TryGet(token, out var known, out var knownExpires, out var knownRegistration))
        {
            (clientId, expiresAt) = (known, DateTimeOffset.FromUnixTimeSeconds(knownExpires));
            return Verdict(known, knownExpires, knownRegistration, now);
        }

        if (!TryVerify(token, out var idLength, out var expires, out var registration))
        {
            return TokenCheck.Invalid;
        }

        var id = token[..idLength].ToString();
        (clientId, expiresAt) = (id, DateTimeOffset.FromUnixTimeSeconds(expires));
        if (expires > now)
        {
            _validated.Remember(token, id, expires, registration);
        }

        return Verdict(id, expires, registration, now);
    }

    /// <summary>
    /// Superseded when the token names a registration and the client's current assignment has a later one; else valid or
    /// expired by its expiry. A token or an assignment without a registration (0: from before the stamp) is not compared.
    /// A token of a later registration than this node's view holds (the view has not learned the new registration yet) is
    /// not refused: only the cluster issues such a token, for the id's newest registration.
    /// </summary>
    private TokenCheck Verdict(string clientId, long expires, long registration, long now) =>
        registration != 0 && _registrations is { } view && view.RegistrationOf(clientId) > registration ? TokenCheck.Superseded
        : expires > now ? TokenCheck.Valid
        : TokenCheck.Expired;

    /// <summary>
    /// Checks the MAC and the format: a token with the registration under the current key, or one of the format before it
    /// under its own key (registration 0). The parts are parsed before any MAC is computed, so a token of neither shape costs
    /// no MAC; one that has both shapes (an old token whose client id ends in a dot and digits) costs two the first time.
    /// </summary>
    private bool TryVerify(ReadOnlySpan<char> token, out int idLength, out long expires, out long registration)
    {
        (idLength, expires, registration) = (0, 0, 0);
        var macDot = token.LastIndexOf('.');
        if (macDot <= 0)
        {
            return false;
        }

        var body = token[..macDot];
        var given = token[(macDot + 1)..];
        var lastDot = body.LastIndexOf('.');
        if (lastDot <= 0)
        {
            return false;
        }

        var expDot = body[..lastDot].LastIndexOf('.');
        if (expDot > 0 && TryDecodeStamp(body[(lastDot + 1)..], out registration) && TryExpires(body[(expDot + 1)..lastDot], out expires)
            && MacMatchesAny(_keys, body, given))
        {
            idLength = expDot;
            return true;
        }

        registration = 0;
        if (TryExpires(body[(lastDot + 1)..], out expires) && MacMatchesAny(_legacyKeys, body, given))
        {
            idLength = lastDot;
            return true;
        }

        return false;
    }

    private static bool TryExpires(ReadOnlySpan<char> text, out long expires) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out expires) && expires is >= 0 and <= MaxUnixSeconds;

    /// <summary>The MAC under <c>Cluster:Key</c>, or else under one of <c>Cluster:AcceptedKeys</c> (a change of the cluster key).</summary>
    private static bool MacMatchesAny(HmacSha256Key[] keys, ReadOnlySpan<char> body, ReadOnlySpan<char> given)
    {
        foreach (var key in keys)
        {
            if (MacMatches(key, body, given))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MacMatches(HmacSha256Key key, ReadOnlySpan<char> body, ReadOnlySpan<char> given)
    {
        Span<char> expected = stackalloc char[MacChars];
        Mac(key, body, expected);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(given));
    }

    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z, the last second DateTimeOffset holds

    private const int MacChars = 22; // 16 bytes in base64url without padding

    /// <summary>Most characters of a registration stamp: 63 bits in 6-bit digits.</summary>
    private const int MaxStampChars = 11;

    private const string StampDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>
    /// Writes a registration stamp in base64url digits, most significant first, without leading zero digits ("A" for 0):
    /// 10 characters for a hybrid-clock counter of today, where decimal takes 18 (README "Engine figures": every byte of a
    /// validated hit counts).
    /// </summary>
    /// <returns>The characters written.</returns>
    internal static int EncodeStamp(long value, Span<char> destination)
    {
        var length = 1;
        for (var rest = (ulong)value >> 6; rest != 0; rest >>= 6)
        {
            length++;
        }

        var v = (ulong)value;
        for (var i = length - 1; i >= 0; i--, v >>= 6)
        {
            destination[i] = StampDigits[(int)(v & 63)];
        }

        return length;
    }

    /// <summary>Reads a stamp <see cref="EncodeStamp"/> wrote: 1 to 11 digits, no leading zero digit, at most <see cref="long.MaxValue"/>.</summary>
    internal static bool TryDecodeStamp(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > MaxStampChars || (text.Length > 1 && text[0] == 'A'))
        {
            return false;
        }

        foreach (var c in text)
        {
            var digit = c switch
            {
                >= 'A' and <= 'Z' => c - 'A',
                >= 'a' and <= 'z' => c - 'a' + 26,
                >= '0' and <= '9' => c - '0' + 52,
                '-' => 62,
                '_' => 63,
                _ => -1,
            };
            if (digit < 0 || value > long.MaxValue >> 6)
            {
                return false;
            }

            value = (value << 6) | (uint)digit;
        }

        return true;
    }

    private static void Mac(HmacSha256Key key, ReadOnlySpan<char> body, Span<char> destination)
    {
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(256)];
        var length = Encoding.UTF8.GetBytes(body, bytes);
        Span<byte> mac = stackalloc byte[HmacSha256Key.MacBytes];
        key.Compute(bytes[..length], mac);
        Base64Url.EncodeToChars(mac[..MacBytes], destination);
    }

    /// <summary>Releases the MAC keys' per-thread contexts.</summary>
    public void Dispose()
    {
        foreach (var key in _keys.Concat(_legacyKeys))
        {
            key.Dispose();
        }
    }
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

    /// <summary>Issued by this cluster (its MAC verified) for an earlier registration of its client id: the id was removed
    /// (unseen for <c>Cluster:ClientIdleTimeout</c>) and announced again since, so the token opens and renews nothing,
    /// expired or not (docs/architecture.md §5).</summary>
    Superseded,
}
