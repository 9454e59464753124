namespace ClusterPortal.Tests.Support;

/// <summary>Polls a condition with a generous deadline (multi-node tests assert outcomes, not timings).</summary>
public static class Eventually
{
    public static async Task True(Func<Task<bool>> condition, string what, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        Assert.Fail($"Timed out after {timeoutMs} ms waiting for: {what}");
    }

    public static Task True(Func<bool> condition, string what, int timeoutMs = 15_000) =>
        True(() => Task.FromResult(condition()), what, timeoutMs);
}
