namespace ClusterEngine.Membership;

/// <summary>
/// A node's item-traffic totals since its process started, carried in its <c>Status</c> heartbeat so
/// every node's dashboard can show every node's requests/s and bytes saved (docs/architecture.md §10).
/// </summary>
/// <param name="Requests">Item requests answered (any status).</param>
/// <param name="NotModified">Answers 304 "use your cached copy".</param>
/// <param name="BytesSent">Item body bytes sent.</param>
/// <param name="BytesSaved">Item body bytes not sent thanks to a 304.</param>
public sealed record NodeTraffic(long Requests, long NotModified, long BytesSent, long BytesSaved)
{
    /// <summary>No traffic yet.</summary>
    public static NodeTraffic Zero { get; } = new(0, 0, 0, 0);
}

/// <summary>Where the local node's <see cref="NodeTraffic"/> comes from (the host's metrics); optional.</summary>
public interface INodeTrafficSource
{
    /// <summary>The local node's totals now.</summary>
    NodeTraffic Current { get; }
}
