using ClusterEngine.Membership;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// The silence timeout of slow links (docs/network.md "Slow, lossy links"): the plain <c>FailureTimeout</c> on a clean
/// link, <c>HeartbeatInterval + factor × median RTT</c> on a slow one, capped; the detector uses it per peer.
/// </summary>
public sealed class SilenceTimeoutTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_heartbeat = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void Clean_link_keeps_the_plain_failure_timeout()
    {
        var timeouts = new SilenceTimeout(s_timeout, s_heartbeat, 16, TimeSpan.FromSeconds(15));
        Assert.Equal(s_timeout, timeouts.For("n2")); // nothing measured yet

        for (var i = 0; i < 16; i++)
        {
            timeouts.RoundTrip("n2", TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(s_timeout, timeouts.For("n2"));
    }

    [Fact]
    public void Slow_link_scales_with_the_median_round_trip_and_ignores_a_few_outliers()
    {
        var timeouts = new SilenceTimeout(s_timeout, s_heartbeat, 16, TimeSpan.FromSeconds(15));
        for (var i = 0; i < 13; i++)
        {
            timeouts.RoundTrip("n2", TimeSpan.FromMilliseconds(200));
        }

        for (var i = 0; i < 3; i++)
        {
            timeouts.RoundTrip("n2", TimeSpan.FromSeconds(5)); // retransmission stalls
        }

        Assert.Equal(TimeSpan.FromMilliseconds(200), timeouts.MedianRoundTrip("n2"));
        Assert.Equal(TimeSpan.FromMilliseconds(100 + (16 * 200)), timeouts.For("n2"));
        Assert.Equal(s_timeout, timeouts.For("n3")); // per peer
    }

    [Fact]
    public void Timeout_is_capped_by_the_maximum_and_off_when_the_factor_is_zero()
    {
        var capped = new SilenceTimeout(s_timeout, s_heartbeat, 16, TimeSpan.FromSeconds(3));
        var off = SilenceTimeout.Fixed(s_timeout);
        capped.RoundTrip("n2", TimeSpan.FromSeconds(1));
        off.RoundTrip("n2", TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(3), capped.For("n2"));
        Assert.Equal(s_timeout, off.For("n2"));

        capped.Forget("n2");
        Assert.Equal(s_timeout, capped.For("n2"));
    }

    [Fact]
    public void Detector_declares_a_slow_peer_down_after_its_own_longer_silence_and_a_clean_one_after_the_plain_timeout()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, new SilenceTimeout(s_timeout, s_heartbeat, 16, TimeSpan.FromSeconds(15)));
        detector.Watch("slow");
        detector.Watch("clean");
        detector.Heard("slow", 1, 1, NodeState.Up);
        detector.Heard("clean", 1, 1, NodeState.Up);
        detector.RoundTrip("slow", TimeSpan.FromMilliseconds(200));

        time.Advance(TimeSpan.FromMilliseconds(1500));
        detector.Evaluate();

        Assert.Equal(NodeState.Up, detector.StateOf("slow"));
        Assert.Equal(NodeState.Down, detector.StateOf("clean"));

        time.Advance(TimeSpan.FromMilliseconds(2000)); // 3.5 s > 100 ms + 16 × 200 ms
        detector.Evaluate();
        Assert.Equal(NodeState.Down, detector.StateOf("slow"));
    }
}
