using ClusterPortal.Client.Contract;

namespace ClusterEngine.Origin;

/// <summary>
/// Told when an operator changed an item at the origin through this node (<c>PUT/DELETE /api/items/{key}</c>), after
/// the local origin cache was invalidated. The backplane implements it to broadcast <c>ItemChanged</c> so other nodes
/// drop their cached copy at once (docs/architecture.md §6); the default does nothing.
/// </summary>
public interface IItemChangeNotifier
{
    /// <summary>The item at <paramref name="key"/> was written or deleted.</summary>
    /// <param name="key">The item key.</param>
    /// <param name="item">The item as now stored, or <see langword="null"/> when it was deleted.</param>
    void ItemChanged(ItemKey key, OriginItem? item);
}

/// <summary>The default <see cref="IItemChangeNotifier"/>: a single node has nobody to tell.</summary>
internal sealed class NullItemChangeNotifier : IItemChangeNotifier
{
    public void ItemChanged(ItemKey key, OriginItem? item)
    {
    }
}
