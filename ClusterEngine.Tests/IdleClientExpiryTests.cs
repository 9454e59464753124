namespace ClusterEngine.Tests;

/// <summary>How often idle clients are looked for: a tenth of the timeout, at most a minute.</summary>
public sealed class IdleClientExpiryTests
{
    [Theory]
    [InlineData(7 * 24 * 3600 * 1000L, 60_000L)]
    [InlineData(2_000L, 200L)]
    [InlineData(5L, 1L)]
    public void Period_is_a_tenth_of_the_timeout_between_1_ms_and_1_minute(long timeoutMs, long expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), IdleClientExpiry.PeriodFor(TimeSpan.FromMilliseconds(timeoutMs)));
}
