using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using ClusterEngine;
using ClusterEngine.Membership;
using ClusterPortal.Hosting;
using ClusterPortal.Security;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// Client tokens with the memo of verified tokens (README "Where the microseconds go"): a remembered token is exactly as
/// good as a recomputed one — refused once expired, never standing in for a token with another MAC or body.
/// </summary>
public sealed class ClientTokenServiceTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));

    private ClientTokenService Service(string key = "test-cluster-key-0123456789", ClusterState? registrations = null) =>
        new(Options.Create(new ClusterOptions { NodeId = "node-1", Key = key, ClientIdleTimeout = TimeSpan.FromDays(7) }),
            Options.Create(new PortalOptions { TokenLifetime = TimeSpan.FromHours(1) }), _time, registrations);

    /// <summary>A token as the build before the registration stamp issued it: <c>{clientId}.{expires}.{mac}</c>, its own key.</summary>
    private static string LegacyToken(string clientId, long expiresUnixSeconds, string key = "test-cluster-key-0123456789")
    {
        var derived = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(key), 32, info: "ClusterPortal client token v1"u8.ToArray());
        var body = $"{clientId}.{expiresUnixSeconds}";
        return $"{body}.{Base64Url.EncodeToString(HMACSHA256.HashData(derived, Encoding.UTF8.GetBytes(body)).AsSpan(0, 16))}";
    }

    /// <summary>A view with one node and the client announced on it; the clock is the test's.</summary>
    private ClusterState View(string clientId)
    {
        var state = new ClusterState("node-1", new ClusterOptions(), time: _time);
        state.AddOrUpdateNode(new NodeInfo("node-1", "http://127.0.0.1:6401", 10));
        state.Announce(clientId);
        return state;
    }

    [Fact]
    public void A_token_carries_its_registration_in_base64url_digits_under_the_MAC_and_stays_compact()
    {
        using var tokens = Service();
        const long hybridCounter = 1_796_000_000_000L << 16; // a hybrid-clock counter of 2026 (ms << 16)
        var (token, expires) = tokens.Issue("device-012345678", hybridCounter); // a 16-character id
        var parts = token.Split('.');

        Assert.Equal(4, parts.Length);
        Assert.Equal(("device-012345678", expires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)), (parts[0], parts[1]));
        Assert.True(ClientTokenService.TryDecodeStamp(parts[2], out var stamp));
        Assert.Equal(hybridCounter, stamp);
        Assert.Equal(10, parts[2].Length); // decimal would take 18
        Assert.Equal(22, parts[3].Length);
        Assert.Equal(61, token.Length); // 16 + 1 + 10 + 1 + 10 + 1 + 22; before the stamp 50
        Assert.Equal(52, tokens.Issue("device-012345678", 1).Token.Length); // a plain Lamport count of 1: one digit
        Assert.Equal("device-012345678", tokens.Validate(token));
    }

    [Theory]
    [InlineData(0L, "A")]
    [InlineData(1L, "B")]
    [InlineData(63L, "_")]
    [InlineData(64L, "BA")]
    [InlineData(long.MaxValue, "H__________")]
    public void Registration_stamps_round_trip_and_only_their_one_spelling_reads(long value, string text)
    {
        Span<char> buffer = stackalloc char[11];
        Assert.Equal(text, new string(buffer[..ClientTokenService.EncodeStamp(value, buffer)]));
        Assert.True(ClientTokenService.TryDecodeStamp(text, out var decoded));
        Assert.Equal(value, decoded);
        Assert.False(ClientTokenService.TryDecodeStamp("A" + text, out _)); // a leading zero digit
    }

    [Theory]
    [InlineData("")]
    [InlineData("I__________")] // 2^63: past long
    [InlineData("___________")]
    [InlineData("BAAAAAAAAAAA")] // 12 digits
    [InlineData("B.C")]
    [InlineData("B+")]
    [InlineData("B=")]
    public void Stamps_that_are_not_one_are_refused(string text) => Assert.False(ClientTokenService.TryDecodeStamp(text, out _));

    [Fact]
    public void A_tampered_registration_is_refused_by_the_MAC()
    {
        using var tokens = Service();
        var token = tokens.Issue("device-1", 1000).Token;
        var parts = token.Split('.');
        Span<char> buffer = stackalloc char[11];
        foreach (var other in new[] { 0L, 999L, 1001L, long.MaxValue })
        {
            var forged = $"{parts[0]}.{parts[1]}.{new string(buffer[..ClientTokenService.EncodeStamp(other, buffer)])}.{parts[3]}";
            Assert.Equal(TokenCheck.Invalid, tokens.Check(forged, out var id, out _));
            Assert.Null(id);
        }

        Assert.Equal(TokenCheck.Invalid, tokens.Check($"{parts[0]}.{parts[1]}.{parts[3]}", out _, out _)); // stamp dropped
        Assert.Equal(TokenCheck.Invalid, tokens.Check($"{parts[0]}.{parts[1]}.AB.{parts[3]}", out _, out _)); // a second spelling of 1
        Assert.Equal("device-1", tokens.Validate(token));
    }

    [Fact]
    public void A_token_of_the_format_before_the_stamp_is_accepted_until_it_expires_bound_to_its_id_alone()
    {
        var view = View("device-1");
        using var tokens = Service(registrations: view);
        var expires = _time.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        var legacy = LegacyToken("device-1", expires);

        Assert.Equal(TokenCheck.Valid, tokens.Check(legacy, out var id, out var at));
        Assert.Equal(("device-1", DateTimeOffset.FromUnixTimeSeconds(expires)), (id, at));
        Assert.Null(Service("another-cluster-key-0123456789").Validate(legacy));
        Assert.Null(tokens.Validate(legacy[..^1] + (legacy[^1] == 'A' ? 'B' : 'A')));

        // An old token of an id that ends in a dot and digits is read as the old format, never as a new token of a shorter
        // id: its MAC is under the old key only.
        var dotted = LegacyToken("device-1.1999999999", expires);
        Assert.Equal("device-1.1999999999", tokens.Validate(dotted));
        Assert.Equal(TokenCheck.Valid, Service().Check(dotted, out id, out _));
        Assert.Equal("device-1.1999999999", id);

        _time.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(expires));
        Assert.Equal(TokenCheck.Expired, tokens.Check(legacy, out _, out _));
        Assert.Equal("device-1", tokens.ValidateForRenewal(legacy)); // the old rule: within the grace it still renews
    }

    [Fact]
    public void A_token_of_an_earlier_registration_is_superseded_once_the_id_is_registered_again_and_renews_nothing()
    {
        var view = View("reused");
        using var tokens = Service(registrations: view);
        var first = view.RegistrationOf("reused");
        Assert.True(first > 0);
        var (old, oldExpires) = tokens.Issue("reused", first);
        Assert.Equal(TokenCheck.Valid, tokens.Check(old, out _, out _)); // remembered now
        var legacy = LegacyToken("reused", oldExpires.ToUnixTimeSeconds());
        var unstamped = tokens.Issue("reused", 0).Token;

        // Unseen past the idle timeout: removed. Its old token opens nothing (no assignment) but would place it anew.
        _time.Advance(TimeSpan.FromDays(8));
        Assert.Single(view.ExpireIdle(TimeSpan.FromDays(7)));
        Assert.Equal(TokenCheck.Expired, tokens.Check(old, out _, out _));

        // Another device announces the id: a new registration.
        view.Announce("reused");
        var second = view.RegistrationOf("reused");
        Assert.True(second > first);
        var (current, _) = tokens.Issue("reused", second);

        Assert.Equal(TokenCheck.Superseded, tokens.Check(old, out var id, out var at)); // from the memo
        Assert.Equal(("reused", oldExpires), (id, at));
        using (var fresh = Service(registrations: view))
        {
            Assert.Equal(TokenCheck.Superseded, fresh.Check(old, out _, out _)); // the MAC path says the same
        }

        Assert.Null(tokens.ValidateForRenewal(old));
        Assert.Null(tokens.Validate(old));
        var stillValid = tokens.Issue("reused", first).Token; // even unexpired, an earlier registration's token is refused
        Assert.Equal(TokenCheck.Superseded, tokens.Check(stillValid, out _, out _));
        Assert.Equal("reused", tokens.Validate(current));
        Assert.Equal("reused", tokens.ValidateForRenewal(current));

        // Without a stamp on either side nothing is compared (tokens and assignments from before the stamp).
        Assert.Equal(TokenCheck.Expired, tokens.Check(legacy, out _, out _));
        Assert.Equal(TokenCheck.Expired, tokens.Check(unstamped, out _, out _));
        Assert.Equal("reused", tokens.Validate(tokens.Issue("reused", 0).Token));

        // A token of a registration later than this view holds (the view has not learned it yet) is not refused.
        Assert.Equal("reused", tokens.Validate(tokens.Issue("reused", second + 1).Token));
    }

    [Fact]
    public void A_token_validates_the_first_and_every_later_time_and_stops_at_its_expiry()
    {
        using var tokens = Service();
        var (token, expires) = tokens.Issue("device-1", 1);

        Assert.Equal("device-1", tokens.Validate(token));
        Assert.Equal("device-1", tokens.Validate(token));
        _time.SetUtcNow(expires.AddSeconds(-1));
        Assert.Equal("device-1", tokens.Validate(token));
        _time.SetUtcNow(expires);
        Assert.Null(tokens.Validate(token));
        Assert.Null(tokens.Validate(token));
    }

    [Fact]
    public void A_remembered_token_does_not_vouch_for_a_changed_mac_body_or_another_key()
    {
        using var tokens = Service();
        var (token, _) = tokens.Issue("device-1", 1);
        Assert.Equal("device-1", tokens.Validate(token));

        var flipped = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        var longer = token.Replace("device-1.", "device-12.", StringComparison.Ordinal);
        var later = token.Replace(".", ".9", StringComparison.Ordinal);
        Assert.Null(tokens.Validate(flipped));
        Assert.Null(tokens.Validate(longer));
        Assert.Null(tokens.Validate(later));
        Assert.Null(tokens.Validate(token + " "));
        using var otherCluster = Service("another-cluster-key-0123456789");
        Assert.Null(otherCluster.Validate(token));
    }

    [Fact]
    public void More_devices_than_the_memo_holds_all_still_validate_and_the_memo_stays_bounded()
    {
        using var tokens = Service();
        var issued = Enumerable.Range(0, ValidatedTokens.Capacity + 100).Select(i => tokens.Issue($"device-{i}", 1).Token).ToArray();

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < issued.Length; i++)
            {
                Assert.Equal($"device-{i}", tokens.Validate(issued[i]));
            }
        }
    }

    [Fact]
    public void The_memo_forgets_everything_when_full()
    {
        var memo = new ValidatedTokens();
        memo.Remember("first", "device-0", 10, 7);
        for (var i = 1; i < ValidatedTokens.Capacity; i++)
        {
            memo.Remember($"token-{i}", $"device-{i}", 10, 0);
        }

        Assert.True(memo.TryGet("first", out var id, out var expires, out var registration));
        Assert.Equal(("device-0", 10L, 7L), (id, expires, registration));
        memo.Remember("one-too-many", "device-x", 10, 0);
        Assert.False(memo.TryGet("first", out _, out _, out _));
        Assert.True(memo.TryGet("one-too-many", out _, out _, out _));
    }

    [Fact]
    public void An_expired_token_is_told_apart_from_a_forged_one_and_renews_its_client_for_the_idle_timeout_after_its_expiry()
    {
        using var tokens = Service();
        var (token, expires) = tokens.Issue("device-1", 1);
        Assert.Equal(TokenCheck.Valid, tokens.Check(token, out var id, out var at));
        Assert.Equal(("device-1", expires), (id, at));

        _time.SetUtcNow(expires);
        Assert.Equal(TokenCheck.Expired, tokens.Check(token, out id, out at)); // from the memo of verified tokens
        Assert.Equal(("device-1", expires), (id, at));
        using var fresh = Service(); // the same key, nothing remembered: the MAC path tells the same
        Assert.Equal(TokenCheck.Expired, fresh.Check(token, out id, out _));
        Assert.Equal("device-1", id);
        Assert.Null(tokens.Validate(token));

        var forged = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        Assert.Equal(TokenCheck.Invalid, tokens.Check(forged, out id, out _));
        Assert.Null(id);
        using var otherCluster = Service("another-cluster-key-0123456789");
        Assert.Equal(TokenCheck.Invalid, otherCluster.Check(token, out _, out _));

        Assert.Equal(expires + TimeSpan.FromDays(7), tokens.RenewableUntil(expires));
        _time.SetUtcNow(expires + TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        Assert.Equal("device-1", tokens.ValidateForRenewal(token));
        Assert.Null(tokens.ValidateForRenewal(forged));
        _time.SetUtcNow(expires + TimeSpan.FromDays(7));
        Assert.Null(tokens.ValidateForRenewal(token)); // the id is no longer held for it: a new announce places it anew
        Assert.Equal(TokenCheck.Expired, tokens.Check(token, out _, out _));
    }

    [Fact]
    public void The_renewal_window_saturates_at_the_last_date_instead_of_overflowing()
    {
        using var tokens = Service();
        Assert.Equal(DateTimeOffset.MaxValue, tokens.RenewableUntil(DateTimeOffset.MaxValue - TimeSpan.FromDays(1)));
    }

    [Fact]
    public void While_the_cluster_key_changes_tokens_of_an_accepted_key_are_valid_and_new_ones_are_made_with_the_new_key()
    {
        const string Old = "test-cluster-key-0123456789", Next = "the-next-cluster-key-0123456789";
        var (oldToken, _) = Service(Old).Issue("device-1", 0);
        var changed = new ClientTokenService(
            Options.Create(new ClusterOptions { NodeId = "node-1", Key = Next, AcceptedKeys = { Old }, ClientIdleTimeout = TimeSpan.FromDays(7) }),
            Options.Create(new PortalOptions { TokenLifetime = TimeSpan.FromHours(1) }), _time);

        Assert.Equal("device-1", changed.Validate(oldToken)); // a device's token of the old key still opens its id
        var legacy = LegacyToken("device-2", _time.GetUtcNow().AddHours(1).ToUnixTimeSeconds(), Old);
        Assert.Equal("device-2", changed.Validate(legacy)); // so does one of the format before the stamp (found by attack: 401)
        Assert.Null(Service(Next).Validate(legacy));
        Assert.Null(Service(Next).Validate(oldToken)); // not once the old key is no longer accepted
        var (newToken, _) = changed.Issue("device-1", 0);
        Assert.Equal("device-1", Service(Next).Validate(newToken)); // made with Cluster:Key
        Assert.Null(Service(Old).Validate(newToken));
    }
}
