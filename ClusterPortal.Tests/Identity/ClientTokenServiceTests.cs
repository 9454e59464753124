using ClusterEngine;
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

    private ClientTokenService Service(string key = "test-cluster-key-0123456789") =>
        new(Options.Create(new ClusterOptions { NodeId = "node-1", Key = key, ClientIdleTimeout = TimeSpan.FromDays(7) }),
            Options.Create(new PortalOptions { TokenLifetime = TimeSpan.FromHours(1) }), _time);

    [Fact]
    public void A_token_validates_the_first_and_every_later_time_and_stops_at_its_expiry()
    {
        using var tokens = Service();
        var (token, expires) = tokens.Issue("device-1");

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
        var (token, _) = tokens.Issue("device-1");
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
        var issued = Enumerable.Range(0, ValidatedTokens.Capacity + 100).Select(i => tokens.Issue($"device-{i}").Token).ToArray();

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
        memo.Remember("first", "device-0", 10);
        for (var i = 1; i < ValidatedTokens.Capacity; i++)
        {
            memo.Remember($"token-{i}", $"device-{i}", 10);
        }

        Assert.True(memo.TryGet("first", out var id, out var expires));
        Assert.Equal(("device-0", 10L), (id, expires));
        memo.Remember("one-too-many", "device-x", 10);
        Assert.False(memo.TryGet("first", out _, out _));
        Assert.True(memo.TryGet("one-too-many", out _, out _));
    }

    [Fact]
    public void An_expired_token_is_told_apart_from_a_forged_one_and_renews_its_client_for_the_idle_timeout_after_its_expiry()
    {
        using var tokens = Service();
        var (token, expires) = tokens.Issue("device-1");
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
}
