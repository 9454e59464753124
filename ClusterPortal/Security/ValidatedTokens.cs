using System.Collections.Concurrent;

namespace ClusterPortal.Security;

/// <summary>
/// The tokens <see cref="ClientTokenService"/> has verified lately, with the client id, expiry and registration each is
/// bound to, so a device's next request costs a look-up instead of an HMAC (README "Data path figures": the token check ran
/// on every request of every hop). Only tokens whose MAC verified are remembered, so a forged token is never found here;
/// the expiry and the registration (against the client's current one) are checked on every use, exactly as the MAC path
/// checks them. Tokens cannot be revoked before they expire
/// (docs/architecture.md §5), so a remembered one stays as good as a recomputed one. Bounded: at <see cref="Capacity"/>
/// entries the memo starts again empty (a node with more active devices than that pays the HMAC more often, never
/// more memory). The look-up hashes the whole token with the process's randomised string hash before it compares
/// anything, so timing tells a guesser nothing about a remembered token.
/// </summary>
internal sealed class ValidatedTokens
{
    /// <summary>Most tokens remembered at once (about 300 B each: the token, the client id, the entry).</summary>
    public const int Capacity = 16_384;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private int _count;

    public ValidatedTokens() => _bySpan = _entries.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The client id, expiry (unix seconds) and registration stamp (0: none) of a remembered token.</summary>
    public bool TryGet(ReadOnlySpan<char> token, out string clientId, out long expiresUnixSeconds, out long registration)
    {
        if (_bySpan.TryGetValue(token, out var entry))
        {
            (clientId, expiresUnixSeconds, registration) = (entry.ClientId, entry.ExpiresUnixSeconds, entry.Registration);
            return true;
        }

        (clientId, expiresUnixSeconds, registration) = ("", 0, 0);
        return false;
    }

    /// <summary>Remembers a token whose MAC verified.</summary>
    public void Remember(ReadOnlySpan<char> token, string clientId, long expiresUnixSeconds, long registration)
    {
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            _entries.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        _bySpan.TryAdd(token, new Entry(clientId, expiresUnixSeconds, registration));
    }

    private readonly record struct Entry(string ClientId, long ExpiresUnixSeconds, long Registration);
}
