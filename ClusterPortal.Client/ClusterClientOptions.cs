namespace ClusterPortal.Client;

/// <summary>
/// Settings of a <see cref="ClusterClient"/>. Only <see cref="SharedAddress"/> and
/// <see cref="ClientId"/> are required; the defaults suit a device on a slow link.
/// </summary>
public sealed class ClusterClientOptions
{
    /// <summary>
    /// The cluster's shared address: one or more node base URLs (e.g. <c>http://127.0.0.1:5101</c>), or a DNS name with
    /// one address record per node (<c>http://cluster.example:8080</c>, patent Fig. 8), tried for the logon and as the
    /// last resort when neither the primary nor the alternate can be reached. A name is resolved to every address, tried
    /// in the order of <see cref="SharedAddressResolver"/> (spread by client id, addresses that failed lately last) and
    /// resolved again as nodes come and go.
    /// </summary>
    public IList<Uri> SharedAddress { get; } = [];

    /// <summary>
    /// Resolves <see cref="SharedAddress"/> names; null (default) for one using the operating system's resolver — unless
    /// the client was given its own HTTP handler, which then decides how names are reached (a proxy, a test double).
    /// </summary>
    public SharedAddressResolver? AddressResolver { get; set; }

    /// <summary>The client id: 1–128 characters of <c>A-Za-z0-9._:-</c> with at least one letter or digit.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>A previously issued token of <see cref="ClientId"/> (a returning device), or null for a new client.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// A directory that keeps cached items across restarts, or null for a memory-only cache. Items read back
    /// from it are revalidated with their CRC-64 validator (<c>If-None-Match</c>) before use.
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Items kept in memory (least recently used out; still on disk with <see cref="CacheDirectory"/>). Default 1024.</summary>
    public int MemoryCacheEntries { get; set; } = 1024;

    /// <summary>
    /// Ask the serving node's mirror of this client's cache to decide (<c>Prefer: cache-mirror</c>, echoing the
    /// last <c>X-Mirror-Sequence</c>) instead of sending the item's validator. Default false.
    /// </summary>
    public bool UseCacheMirror { get; set; }

    /// <summary>
    /// Offer the cached copy of an item as an RFC 9842 dictionary (<c>Accept-Encoding: dcz</c>, and
    /// <c>Available-Dictionary</c> unless the mirror decides) so a changed item may come as a delta against it. Default true.
    /// </summary>
    public bool UseDeltas { get; set; } = true;

    /// <summary>
    /// The nodes' HTTP/2 port (<c>Portal:Http2Port</c>), or null for HTTP/1.1. When set, every request goes to the same
    /// host as the node URL on this port, over HTTP/2 with prior knowledge (cleartext for <c>http</c> URLs, TLS for
    /// <c>https</c>): one connection per node, headers compressed with HPACK. Default null.
    /// </summary>
    public int? Http2Port { get; set; }

    /// <summary>Timeout of one HTTP attempt against one node. Default 5 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one operation (all attempts and retry delays together). Default 30 s.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after a failed attempt (unreachable node, timeout, 502/503/504, 429), each at the next node. Default 6.</summary>
    public int MaxRetryAttempts { get; set; } = 6;

    /// <summary>Base delay of the exponential, jittered back-off between retries. Default 50 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest delay between two retries. Default 2 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The token is renewed (a new session with the current token) once less than this fraction of its lifetime
    /// is left, before the next call. A fraction greater than 0 and less than 1; default 0.2.
    /// </summary>
    public double RenewWhenRemaining { get; set; } = 0.2;

    /// <summary>Clock for token renewal. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range; the message names it.</exception>
    public void Validate()
    {
        if (SharedAddress.Count == 0 || SharedAddress.Any(u => u is null || !u.IsAbsoluteUri || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)))
        {
            throw new ArgumentException("SharedAddress needs at least one absolute http(s) node URL.", nameof(SharedAddress));
        }

        if (string.IsNullOrWhiteSpace(ClientId) || ClientId.Length > 128)
        {
            throw new ArgumentException("ClientId must be 1–128 characters of A-Za-z0-9._:-.", nameof(ClientId));
        }

        if (MemoryCacheEntries < 1 || MaxRetryAttempts < 0 || AttemptTimeout <= TimeSpan.Zero || OperationTimeout <= TimeSpan.Zero
            || RetryBaseDelay < TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
        {
            throw new ArgumentException("MemoryCacheEntries ≥ 1, MaxRetryAttempts ≥ 0, positive timeouts and RetryBaseDelay ≤ RetryMaxDelay are required.");
        }

        if (Http2Port is < 1 or > 65535)
        {
            throw new ArgumentException("Http2Port must be a TCP port (1–65535) or null.", nameof(Http2Port));
        }

        if (RenewWhenRemaining is <= 0 or >= 1 || double.IsNaN(RenewWhenRemaining))
        {
            throw new ArgumentException("RenewWhenRemaining must be a fraction greater than 0 and less than 1.", nameof(RenewWhenRemaining));
        }
    }
}
