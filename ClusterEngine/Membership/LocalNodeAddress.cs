namespace ClusterEngine.Membership;

/// <summary>
/// The URL this node advertises to peers and clients, known once the server listens (or at once
/// from <c>Cluster:AdvertisedUrl</c>). The backplane waits for it before it announces itself.
/// </summary>
public sealed class LocalNodeAddress
{
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the advertised URL (no trailing slash).</summary>
    public Task<string> Resolved => _url.Task;

    /// <summary>Sets the advertised URL; later calls are ignored.</summary>
    public void Set(string url)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        _url.TrySetResult(url.TrimEnd('/'));
    }

    /// <summary>The server could not tell its address: the backplane does not start.</summary>
    public void Fail(Exception error) => _url.TrySetException(error);
}
