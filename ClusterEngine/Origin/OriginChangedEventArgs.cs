using ClusterPortal.Client.Contract;

namespace ClusterEngine.Origin;

/// <summary>An origin reports that an item (or, when <see cref="Key"/> is <see langword="null"/>, anything) may have changed.</summary>
/// <param name="key">The item that may have changed, or <see langword="null"/> for "everything".</param>
public sealed class OriginChangedEventArgs(ItemKey? key) : EventArgs
{
    /// <summary>The item that may have changed, or <see langword="null"/> for "everything".</summary>
    public ItemKey? Key { get; } = key;
}
