namespace ClusterPortal.Tests.Support.Network;

/// <summary>A test on a <see cref="TestNetwork"/>: skipped, saying why, on a machine that cannot make one (not root, tools missing).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetworkFactAttribute : FactAttribute
{
    /// <summary>Skips when <see cref="TestNetwork.Unavailable"/> names a reason.</summary>
    public NetworkFactAttribute()
    {
        if (TestNetwork.Unavailable is { } reason)
        {
            Skip = $"needs a test network: {reason}";
        }
    }
}
