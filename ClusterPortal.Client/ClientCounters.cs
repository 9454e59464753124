namespace ClusterPortal.Client;

/// <summary>Thread-safe counters behind <see cref="ClusterClient.Statistics"/>.</summary>
internal sealed class ClientCounters
{
    private long _requests;
    private long _notModified;
    private long _bytesReceived;
    private long _bytesSaved;
    private long _failovers;
    private long _retries;
    private long _renewals;
    private long _errors;
    private long _deltas;
    private long _deltaBytesSaved;

    /// <summary>A 200 of <paramref name="bodyBytes"/> for an item of <paramref name="itemBytes"/>; <paramref name="delta"/>: the body was a delta.</summary>
    public void Full(long bodyBytes, long itemBytes, bool delta)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytesReceived, bodyBytes);
        if (delta)
        {
            Interlocked.Increment(ref _deltas);
            Interlocked.Add(ref _deltaBytesSaved, itemBytes - bodyBytes);
        }
    }

    public void NotModified(long bytes)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _notModified);
        Interlocked.Add(ref _bytesSaved, bytes);
    }

    public void Failover() => Interlocked.Increment(ref _failovers);

    public void Retry() => Interlocked.Increment(ref _retries);

    public void Renewal() => Interlocked.Increment(ref _renewals);

    public void Error() => Interlocked.Increment(ref _errors);

    public ClusterClientStatistics Snapshot() => new(Interlocked.Read(ref _requests), Interlocked.Read(ref _notModified),
        Interlocked.Read(ref _bytesReceived), Interlocked.Read(ref _bytesSaved), Interlocked.Read(ref _failovers),
        Interlocked.Read(ref _retries), Interlocked.Read(ref _renewals), Interlocked.Read(ref _errors),
        Interlocked.Read(ref _deltas), Interlocked.Read(ref _deltaBytesSaved));
}
