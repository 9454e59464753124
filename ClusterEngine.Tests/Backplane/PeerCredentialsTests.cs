using ClusterEngine.Backplane;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Backplane;

/// <summary>Per-connection peer credentials (issue 11, case 4; docs/identity.md): bound to the target, the time and a nonce; never good twice.</summary>
public sealed class PeerCredentialsTests
{
    private const string Key = "test-cluster-key-0123456789";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));

    [Fact]
    public void A_credential_is_good_once_for_its_target_and_carries_the_incarnation()
    {
        var credentials = new PeerCredentials(Key, _time, TimeSpan.FromSeconds(30));
        var credential = credentials.Create("n2", 1234, "n1");

        var first = credentials.Verify("n2", credential, "n1");
        var again = credentials.Verify("n2", credential, "n1");

        Assert.Equal(new PeerCredentialCheck(true, null, 1234, false), first);
        Assert.False(again.Valid);
        Assert.Contains("used before", again.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_credential_for_another_node_another_sender_or_another_key_is_refused()
    {
        var credentials = new PeerCredentials(Key, _time);
        var other = new PeerCredentials("another-cluster-key-0123456789", _time);

        Assert.False(credentials.Verify("n2", credentials.Create("n2", 1, "n3"), "n1").Valid);
        Assert.False(credentials.Verify("n9", credentials.Create("n2", 1, "n1"), "n1").Valid);
        Assert.False(credentials.Verify("n2", other.Create("n2", 1, "n1"), "n1").Valid);
    }

    [Theory]
    [InlineData(-31)]
    [InlineData(31)]
    public void A_credential_further_than_the_clock_skew_is_refused(int seconds)
    {
        var credentials = new PeerCredentials(Key, _time, TimeSpan.FromSeconds(30));
        var senderClock = new FakeTimeProvider(_time.GetUtcNow().AddSeconds(seconds));
        var credential = new PeerCredentials(Key, senderClock, TimeSpan.FromSeconds(30)).Create("n2", 1, "n1");

        Assert.False(credentials.Verify("n2", credential, "n1").Valid);
    }

    [Fact]
    public void A_join_credential_names_no_target_and_says_so()
    {
        var credentials = new PeerCredentials(Key, _time);

        var check = credentials.Verify("n5", credentials.Create("n5", 7, targetNodeId: null), "anyone");

        Assert.True(check.Valid);
        Assert.True(check.JoinOnly);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("2.p.1.2.3")]
    [InlineData("2.x.1.2.abc.def")]
    [InlineData("1.p.1.2.abc.def")]
    [InlineData("2.p.-1.2.abc.def")]
    public void Malformed_credentials_are_refused(string credential) =>
        Assert.False(new PeerCredentials(Key, _time).Verify("n2", credential, "n1").Valid);

    [Fact]
    public void A_tampered_incarnation_or_time_breaks_the_mac()
    {
        var credentials = new PeerCredentials(Key, _time);
        var parts = credentials.Create("n2", 5, "n1").Split('.');

        parts[2] = "6";

        Assert.False(credentials.Verify("n2", string.Join('.', parts), "n1").Valid);
    }

    [Fact]
    public void While_the_cluster_key_changes_credentials_of_either_key_are_accepted_and_each_node_makes_its_own()
    {
        // docs/identity.md, "Changing the cluster key": step 1 nodes accept the next key and still make the old one's; step 2
        // nodes make the next key's and accept the old; a node on either key alone accepts only its own key's.
        const string Next = "the-next-cluster-key-0123456789";
        var step1 = new PeerCredentials([Key, Next], _time);
        var step2 = new PeerCredentials([Next, Key], _time);
        var oldOnly = new PeerCredentials(Key, _time);
        var nextOnly = new PeerCredentials(Next, _time);

        Assert.True(step2.Verify("n2", step1.Create("n2", 1, "n1"), "n1").Valid);
        Assert.True(step1.Verify("n2", step2.Create("n2", 1, "n1"), "n1").Valid);
        Assert.True(step2.Verify("n2", oldOnly.Create("n2", 1, "n1"), "n1").Valid);
        Assert.True(oldOnly.Verify("n2", step1.Create("n2", 1, "n1"), "n1").Valid);
        Assert.True(nextOnly.Verify("n2", step2.Create("n2", 1, "n1"), "n1").Valid);
        Assert.False(oldOnly.Verify("n2", step2.Create("n2", 1, "n1"), "n1").Valid);
        Assert.False(nextOnly.Verify("n2", step1.Create("n2", 1, "n1"), "n1").Valid);
    }
}
