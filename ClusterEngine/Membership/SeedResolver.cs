using ClusterPortal.Client;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Membership;

/// <summary>
/// The seeds of a join (<c>Cluster:Seeds</c>) as the URLs to try, in order: a seed whose host is a DNS name with one
/// address record per node (patent Fig. 8) becomes one URL per address, resolved again at every join round so nodes that
/// came or went are followed; this node's own URL is left out; a seed that did not answer is tried last for a while
/// (<see cref="SharedAddressResolver"/>, the same rules the device SDK uses for the shared address).
/// </summary>
public sealed class SeedResolver(IOptions<ClusterOptions> options, SharedAddressResolver resolver)
{
    // Validated at start (ClusterOptionsValidator: absolute http(s) URLs); parsed here without throwing all the same.
    private readonly IReadOnlyList<Uri> _seeds =
        [.. options.Value.Seeds.Select(s => Uri.TryCreate(s, UriKind.Absolute, out var uri) ? uri : null).OfType<Uri>()];

    /// <summary>True when any seed is configured (without seeds a node starts a cluster of its own).</summary>
    public bool Any => _seeds.Count > 0;

    /// <summary>
    /// True when a seed other than this node is configured. Every node may be given the same seed list — the first node's
    /// URL — so the first node finds only itself among its seeds: it then starts the cluster, as a node without seeds
    /// does, instead of asking itself to be added forever. A DNS-name seed counts as another node even when it resolves
    /// to this node alone at the moment (the others may not be in the name yet; starting a second cluster would split it).
    /// </summary>
    /// <param name="selfUrl">This node's advertised URL.</param>
    public bool AnyBesides(string selfUrl)
    {
        var self = Normalize(selfUrl);
        return _seeds.Any(s => !string.Equals(Normalize(s.AbsoluteUri), self, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The URLs to try for one join round, without <paramref name="selfUrl"/>; rotated by <paramref name="nodeId"/>.</summary>
    public async Task<IReadOnlyList<string>> ResolveAsync(string selfUrl, string nodeId, CancellationToken cancellationToken)
    {
        var self = Normalize(selfUrl);
        var urls = await resolver.ResolveAsync(_seeds, nodeId, cancellationToken);
        return [.. urls.Select(u => u.AbsoluteUri.TrimEnd('/')).Where(u => !string.Equals(Normalize(u), self, StringComparison.OrdinalIgnoreCase))];
    }

    /// <summary>The seed at <paramref name="url"/> did not answer.</summary>
    public void Failed(string url) => resolver.ReportFailure(new Uri(url));

    /// <summary>The seed at <paramref name="url"/> answered.</summary>
    public void Answered(string url) => resolver.ReportSuccess(new Uri(url));

    private static string Normalize(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path).TrimEnd('/') : url.TrimEnd('/');
}
