using ClusterPortal.Client.Contract;

namespace ClusterEngine.Origin;

/// <summary>An origin whose items can be written (the file-system origin), e.g. by an operator or a test.</summary>
public interface IWritableItemOrigin : IItemOrigin
{
    /// <summary>Creates or replaces an item atomically (readers see the old or the new bytes, never a mix).</summary>
    /// <param name="key">The item key.</param>
    /// <param name="content">The new bytes.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The item as stored.</returns>
    /// <exception cref="InvalidItemKeyException">The key's path leaves the origin root.</exception>
    /// <exception cref="IOException">The file system refused the write.</exception>
    ValueTask<OriginItem> PutAsync(ItemKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Deletes an item.</summary>
    /// <param name="key">The item key.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>Whether the item existed.</returns>
    /// <exception cref="InvalidItemKeyException">The key's path leaves the origin root.</exception>
    ValueTask<bool> DeleteAsync(ItemKey key, CancellationToken cancellationToken);
}
