using ClusterPortal.Client.Contract;

namespace ClusterEngine.Origin;

/// <summary>
/// Where items come from (docs/architecture.md §3 "origin"; patent Fig. 9 step 910, Fig. 10 step 1020). The cluster never
/// serves what the origin does not have. Implementations: <see cref="FileSystemOrigin"/>, <see cref="HttpOrigin"/>.
/// </summary>
public interface IItemOrigin
{
    /// <summary>Raised when an item may have changed (a file-system watcher); <see cref="OriginCache"/> then revalidates it.</summary>
    event EventHandler<OriginChangedEventArgs>? Changed;

    /// <summary>
    /// Gets the current version of an item. Pass the version you hold as <paramref name="cached"/>: when it is
    /// still current the origin returns that same instance without reading the bytes again (file-system: same
    /// last write time and length; HTTP: a conditional request answered 304).
    /// </summary>
    /// <param name="key">The item key.</param>
    /// <param name="cached">The version the caller holds, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The item, <paramref name="cached"/> when unchanged, or <see langword="null"/> when the origin has no such item.</returns>
    /// <exception cref="InvalidItemKeyException">The key's path leaves the origin root (file-system origin).</exception>
    /// <exception cref="InvalidDataException">The item is larger than <see cref="OriginOptions.MaxItemBytes"/>.</exception>
    /// <exception cref="HttpRequestException">The HTTP origin failed or answered with an error status other than 404/410.</exception>
    ValueTask<OriginItem?> GetAsync(ItemKey key, OriginItem? cached, CancellationToken cancellationToken);

    /// <summary>Lists the keys the origin has, ordinally sorted (empty for an origin that cannot list, such as HTTP).</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The keys.</returns>
    ValueTask<IReadOnlyList<ItemKey>> ListAsync(CancellationToken cancellationToken);
}
