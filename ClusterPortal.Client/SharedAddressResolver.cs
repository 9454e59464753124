using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ClusterPortal.Client;

/// <summary>
/// Turns the cluster's shared address into node base URLs (patent Fig. 8: every node its own IP address, one domain
/// name for all). An http URL whose host is a DNS name becomes one URL per address record, same scheme, port and path
/// (<c>http://cluster.example:8080</c> → <c>http://10.0.0.11:8080</c>, <c>http://10.0.0.12:8080</c>, …); an IP literal
/// stays as it is; an https URL keeps its name (the certificate names the host), and so does a name that cannot be
/// resolved right now (the HTTP stack tries it and fails like any unreachable node).
/// <para>
/// The order is <see cref="SharedAddressOrder.Order"/>: rotated by a caller's key so that many devices spread their
/// logons over the nodes, with addresses that failed lately last, so a dead address is never pinned. A name is resolved
/// again after <see cref="RefreshInterval"/>, and at once when every address it gave has failed since, so nodes that
/// come and go are followed. Used by the device SDK (<see cref="ClusterClient"/>) and by a node's seed join
/// (<c>Cluster:Seeds</c>). Thread-safe.
/// </para>
/// </summary>
public sealed class SharedAddressResolver
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _lookup;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Resolution> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Uri, long> _failedAt = new();

    private sealed record Resolution(IReadOnlyList<Uri> Urls, long ResolvedAt);

    /// <summary>Creates a resolver.</summary>
    /// <param name="lookup">Name → addresses; default <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>
    /// (the operating system's resolver: <c>/etc/hosts</c>, then the DNS servers of <c>/etc/resolv.conf</c>).</param>
    /// <param name="time">Clock of the refresh and failure memory; default <see cref="TimeProvider.System"/>.</param>
    public SharedAddressResolver(Func<string, CancellationToken, Task<IPAddress[]>>? lookup = null, TimeProvider? time = null)
    {
        _lookup = lookup ?? Dns.GetHostAddressesAsync;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How long a name's addresses are used before it is resolved again. Default 30 s.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an address that failed is put last (unless it answers again first). Default 30 s.</summary>
    public TimeSpan FailurePenalty { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The node base URLs of <paramref name="sharedAddress"/>, duplicates removed, in the order to try them
    /// (<see cref="SharedAddressOrder.Order"/> with <paramref name="rotationKey"/>).
    /// </summary>
    /// <param name="sharedAddress">Absolute http(s) URLs, each a node or a name of several.</param>
    /// <param name="rotationKey">Spreads callers over the addresses (a client id, a node id); null keeps the resolver's order.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    public async Task<IReadOnlyList<Uri>> ResolveAsync(IEnumerable<Uri> sharedAddress, string? rotationKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sharedAddress);
        var urls = new List<Uri>();
        foreach (var address in sharedAddress)
        {
            foreach (var url in await ExpandAsync(address, cancellationToken))
            {
                if (!urls.Contains(url))
                {
                    urls.Add(url);
                }
            }
        }

        var now = _time.GetTimestamp();
        return SharedAddressOrder.Order(urls, url => RecentlyFailed(url, now), rotationKey);
    }

    /// <summary>An attempt at <paramref name="url"/> got no answer (refused, timed out): try it last for a while.</summary>
    public void ReportFailure(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        _failedAt[url] = _time.GetTimestamp();
    }

    /// <summary><paramref name="url"/> answered: it is no longer put last.</summary>
    public void ReportSuccess(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        _failedAt.TryRemove(url, out _);
    }

    private async Task<IReadOnlyList<Uri>> ExpandAsync(Uri address, CancellationToken cancellationToken)
    {
        if (address.HostNameType != UriHostNameType.Dns || address.Scheme != Uri.UriSchemeHttp || address.IsLoopback)
        {
            return [address];
        }

        var key = address.GetLeftPart(UriPartial.Path);
        var now = _time.GetTimestamp();
        if (_names.TryGetValue(key, out var known) && _time.GetElapsedTime(known.ResolvedAt, now) < RefreshInterval
            && !known.Urls.All(url => RecentlyFailed(url, now)))
        {
            return known.Urls;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await _lookup(address.DnsSafeHost, cancellationToken);
        }
        catch (SocketException)
        {
            addresses = [];
        }

        var urls = addresses
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .Select(a => new UriBuilder(address) { Host = a.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString() }.Uri)
            .Distinct()
            .ToList();
        if (urls.Count == 0)
        {
            return known?.Urls ?? [address]; // the name does not resolve now: keep what it gave last, or the name itself
        }

        _names[key] = new Resolution(urls, now);
        return urls;
    }

    private bool RecentlyFailed(Uri url, long now) =>
        _failedAt.TryGetValue(url, out var at) && _time.GetElapsedTime(at, now) < FailurePenalty;
}

/// <summary>The order in which the node URLs of a shared address are tried; pure.</summary>
public static class SharedAddressOrder
{
    /// <summary>
    /// <paramref name="urls"/> rotated by a stable hash of <paramref name="rotationKey"/> (FNV-1a, so the same key gives
    /// the same start on every run and platform; many keys spread evenly), then stably partitioned: addresses for which
    /// <paramref name="recentlyFailed"/> is true go last, in the same rotated order.
    /// </summary>
    public static IReadOnlyList<Uri> Order(IReadOnlyList<Uri> urls, Func<Uri, bool> recentlyFailed, string? rotationKey)
    {
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(recentlyFailed);
        if (urls.Count == 0)
        {
            return urls;
        }

        var start = rotationKey is null ? 0 : (int)(Fnv1a(rotationKey) % (uint)urls.Count);
        var rotated = Enumerable.Range(0, urls.Count).Select(i => urls[(start + i) % urls.Count]).ToList();
        return [.. rotated.Where(u => !recentlyFailed(u)), .. rotated.Where(recentlyFailed)];
    }

    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
