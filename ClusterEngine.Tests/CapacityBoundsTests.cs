using ClusterEngine.Membership;

namespace ClusterEngine.Tests;

/// <summary>Operator input cannot take the cluster down (issue 11, case 1): capacity bounds and stored or gossiped member records.</summary>
public sealed class CapacityBoundsTests
{
    [Theory]
    [InlineData(0, false, 1)]
    [InlineData(-5, false, 1)]
    [InlineData(1, true, 1)]
    [InlineData(NodeCapacity.Max, true, NodeCapacity.Max)]
    [InlineData(int.MaxValue, false, NodeCapacity.Max)]
    public void Capacity_is_valid_from_1_to_the_maximum_and_clamped_into_it(int capacity, bool valid, int clamped)
    {
        Assert.Equal(valid, NodeCapacity.IsValid(capacity));
        Assert.Equal(clamped, NodeCapacity.Clamp(capacity));
    }

    [Fact]
    public void The_maximum_is_at_least_ten_million()
    {
        Assert.True(NodeCapacity.Max >= 10_000_000);
    }

    [Fact]
    public void A_record_out_of_bounds_is_clamped_with_a_problem_and_one_without_id_or_url_is_refused()
    {
        var good = new MemberRecord("n1", "http://127.0.0.1:1", "n1", 10, 0, NodeMode.Active, false, 1, "n1");

        Assert.Same(good, MemberRecordBounds.Check(good, out var none));
        Assert.Null(none);
        var clamped = MemberRecordBounds.Check(good with { Capacity = int.MaxValue, Mode = (NodeMode)9, Name = "" }, out var problem)!;
        Assert.Equal((NodeCapacity.Max, NodeMode.Active, "n1"), (clamped.Capacity, clamped.Mode, clamped.Name));
        Assert.Contains("capacity 2147483647", problem, StringComparison.Ordinal);
        Assert.Null(MemberRecordBounds.Check(good with { NodeId = "../x" }, out _));
        Assert.Null(MemberRecordBounds.Check(good with { Url = "file:///etc" }, out _));
        Assert.Null(MemberRecordBounds.Check(null, out _));
        Assert.Null(MemberRecordBounds.Check(good with { Version = long.MaxValue }, out var tooHigh)); // counting on would overflow
        Assert.Contains("version 9223372036854775807", tooHigh, StringComparison.Ordinal);
        Assert.Null(MemberRecordBounds.Check(good with { Version = -1 }, out _));
        Assert.NotNull(MemberRecordBounds.Check(good with { Version = HybridClock.Max }, out _));
    }

    [Fact]
    public async Task A_failing_background_part_is_logged_and_run_again_until_it_completes()
    {
        var runs = 0;
        var options = new ClusterOptions { PeerRetryBaseDelay = TimeSpan.FromMilliseconds(1), PeerRetryMaxDelay = TimeSpan.FromMilliseconds(2) };

        await RetryingLoop.RunAsync("test part", _ => ++runs < 3 ? throw new InvalidOperationException("boom") : Task.CompletedTask, options,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);

        Assert.Equal(3, runs);
    }
}
