using ClusterPortal.Hosting;
using Microsoft.Extensions.Time.Testing;
using static ClusterPortal.Hosting.NodeLockWatch.TakenClaim;

namespace ClusterPortal.Tests.Startup;

/// <summary>The grace a node gives another process holding one of its claims before it gives the claim up (<see cref="NodeLockWatch.TakenGrace"/>).</summary>
public sealed class TakenClaimTests
{
    [Fact]
    public void A_claim_taken_is_waited_for_through_the_grace_then_given_up_and_a_release_forgets_it()
    {
        var time = new FakeTimeProvider();
        var claim = new NodeLockWatch.TakenClaim(TimeSpan.FromSeconds(10), time);

        Assert.Equal(Wait.None, claim.Observe(taken: false));
        Assert.Equal(Wait.First, claim.Observe(taken: true));
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Equal(Wait.Waiting, claim.Observe(taken: true));
        Assert.Equal(Wait.None, claim.Observe(taken: false)); // let go: taken again later starts a new grace
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(Wait.First, claim.Observe(taken: true));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(Wait.Over, claim.Observe(taken: true));
    }

    [Theory]
    [InlineData("00:00:00.100", "00:00:10")]
    [InlineData("00:00:05", "00:00:15")]
    [InlineData("00:10:00", "00:30:00")]
    public void The_grace_is_three_check_intervals_and_at_least_10_s(string interval, string grace) =>
        Assert.Equal(TimeSpan.Parse(grace, System.Globalization.CultureInfo.InvariantCulture),
            NodeLockWatch.TakenGrace(TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture)));
}
