namespace ClusterPortal.Tests.Support;

/// <summary>
/// The system clock with a wall-clock offset a test can move forward: <see cref="TimeProvider.GetUtcNow"/> jumps,
/// while timestamps and timers stay real (heartbeats, failure detection and SignalR keep their pace). For tests of
/// wall-clock rules such as token expiry in a live cluster, without waiting for the wall clock.
/// </summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far this clock is ahead of the system clock.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the wall clock forward by <paramref name="by"/>.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _offsetTicks, by.Ticks);
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
