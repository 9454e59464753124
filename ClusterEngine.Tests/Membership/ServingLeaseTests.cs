using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// The serving lease (docs/network.md "Partitions"): a peer that echoes our status <c>s</c> with its timeout <c>T</c> lets
/// us count it until <c>sent(s) + T − margin</c>, before it can declare us Down; the echo also gives the round trip.
/// </summary>
public sealed class ServingLeaseTests
{
    private static readonly TimeSpan s_margin = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void Echo_of_a_sent_status_grants_a_lease_that_ends_before_the_peer_can_declare_us_down()
    {
        var time = new FakeTimeProvider();
        var lease = new ServingLease(time, s_margin);
        Assert.False(lease.Holds("n2"));

        lease.Sent(7);
        time.Advance(TimeSpan.FromMilliseconds(150));
        var rtt = lease.Echoed("n2", new PeerHearing("n1", Incarnation: 3, Sequence: 7, HeldMs: 50, TimeoutMs: 1000), incarnation: 3);

        Assert.Equal(TimeSpan.FromMilliseconds(100), rtt); // 150 ms since sending, 50 ms held at the peer
        Assert.True(lease.Holds("n2"));

        time.Advance(TimeSpan.FromMilliseconds(649)); // 799 ms after sending: still before 1000 − 200
        Assert.True(lease.Holds("n2"));
        time.Advance(TimeSpan.FromMilliseconds(1));   // 800 ms: the lease ends, 200 ms before the peer's verdict
        Assert.False(lease.Holds("n2"));
    }

    [Fact]
    public void Echo_of_another_incarnation_or_an_unknown_status_grants_nothing()
    {
        var time = new FakeTimeProvider();
        var lease = new ServingLease(time, s_margin);
        lease.Sent(1);

        Assert.Null(lease.Echoed("n2", new PeerHearing("n1", 2, 1, 0, 1000), incarnation: 3));
        Assert.Null(lease.Echoed("n2", new PeerHearing("n1", 3, 99, 0, 1000), incarnation: 3));
        Assert.False(lease.Holds("n2"));
    }

    [Fact]
    public void Older_echo_arriving_late_does_not_shorten_a_lease()
    {
        var time = new FakeTimeProvider();
        var lease = new ServingLease(time, s_margin);
        lease.Sent(1);
        time.Advance(TimeSpan.FromMilliseconds(500));
        lease.Sent(2);
        lease.Echoed("n2", new PeerHearing("n1", 1, 2, 0, 1000), 1);  // until 500 + 800
        lease.Echoed("n2", new PeerHearing("n1", 1, 1, 0, 1000), 1);  // until 0 + 800: ignored

        time.Advance(TimeSpan.FromMilliseconds(700));
        Assert.True(lease.Holds("n2"));
    }

    [Fact]
    public void Hearing_lists_the_last_status_heard_of_each_peer_with_how_long_ago_and_its_timeout()
    {
        var time = new FakeTimeProvider();
        var lease = new ServingLease(time, s_margin);
        lease.Heard("n2", 1, 5);
        lease.Heard("n2", 1, 4); // late and older: ignored
        time.Advance(TimeSpan.FromMilliseconds(30));

        var hearing = Assert.Single(lease.Hearing(_ => TimeSpan.FromSeconds(2)));

        Assert.Equal(new PeerHearing("n2", 1, 5, 30, 2000), hearing);
        lease.Forget("n2");
        Assert.Empty(lease.Hearing(_ => TimeSpan.FromSeconds(2)));
    }
}
