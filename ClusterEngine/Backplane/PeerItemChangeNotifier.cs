using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;

namespace ClusterEngine.Backplane;

/// <summary>
/// An operator changed an origin item through this node: every peer is told to drop its cached copy at once
/// (<c>ItemChanged</c>, with the new version's validator), so no node validates against stale bytes.
/// </summary>
/// <param name="mesh">The peer connections.</param>
public sealed class PeerItemChangeNotifier(PeerMesh mesh) : IItemChangeNotifier
{
    /// <inheritdoc />
    public void ItemChanged(ItemKey key, OriginItem? item)
    {
        ArgumentNullException.ThrowIfNull(key);
        _ = mesh.BroadcastAsync(BackplaneMethods.ItemChanged, new ItemChangedMessage(key.Value, item?.Validator));
    }
}
