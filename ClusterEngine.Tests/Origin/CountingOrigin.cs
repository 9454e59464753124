using System.Text;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;

namespace ClusterEngine.Tests.Origin;

/// <summary>An in-memory origin that counts reads and can raise <see cref="IItemOrigin.Changed"/>.</summary>
internal sealed class CountingOrigin : IItemOrigin
{
    private readonly Dictionary<ItemKey, OriginItem> _items = [];

    public event EventHandler<OriginChangedEventArgs>? Changed;

    public int Reads { get; private set; }

    public List<OriginItem?> CachedArguments { get; } = [];

    public void Set(string key, string content)
    {
        var itemKey = ItemKey.Parse(key);
        _items[itemKey] = new OriginItem(itemKey, Encoding.UTF8.GetBytes(content), "text/plain", DateTimeOffset.UnixEpoch);
    }

    public void Remove(string key) => _items.Remove(ItemKey.Parse(key));

    public void RaiseChanged(string? key) => Changed?.Invoke(this, new OriginChangedEventArgs(key is null ? null : ItemKey.Parse(key)));

    public ValueTask<OriginItem?> GetAsync(ItemKey key, OriginItem? cached, CancellationToken cancellationToken)
    {
        Reads++;
        CachedArguments.Add(cached);
        var current = _items.GetValueOrDefault(key);
        return ValueTask.FromResult(current is not null && cached?.Validator == current.Validator ? cached : current);
    }

    public ValueTask<IReadOnlyList<ItemKey>> ListAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ItemKey>>([.. _items.Keys]);
}
