using ClusterEngine.Deltas;
using ClusterEngine.Mirroring;
using ClusterEngine.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Tests.Deltas;

/// <summary>The kept item versions (docs/deltas.md): found by SHA-256 or validator, bounded per item and in bytes, least recently used out.</summary>
public sealed class ItemVersionStoreTests
{
    private static readonly ItemKey A = ItemKey.Parse("a.json");
    private static readonly ItemKey B = ItemKey.Parse("b.json");

    private static ItemVersionStore Store(int perItem = 4, long bytes = 1 << 20, int itemBytes = 1 << 16) =>
        new(Options.Create(new DeltaOptions { MaxVersionsPerItem = perItem, MaxBytes = bytes, MaxItemBytes = itemBytes }));

    private static OriginItem Item(ItemKey key, string text) => new(key, System.Text.Encoding.UTF8.GetBytes(text), "application/json", DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_kept_version_is_found_by_its_sha256_and_by_its_validator()
    {
        var store = Store();
        var v1 = Item(A, "{\"v\":1}");
        store.Remember(v1);

        Assert.Equal(v1.Validator, store.Find(A, DictionaryHash.Of(v1.Content.Span))!.Validator);
        Assert.Equal(DictionaryHash.Of(v1.Content.Span), store.Find(A, v1.Validator)!.Hash);
        Assert.Null(store.Find(B, v1.Validator));
        Assert.Null(store.Find(A, DictionaryHash.Of("other"u8)));
    }

    [Fact]
    public void Remembering_the_same_version_again_keeps_one_copy()
    {
        var store = Store();
        store.Remember(Item(A, "same"));
        store.Remember(Item(A, "same"));

        Assert.Equal(1, store.Count);
        Assert.Equal(4, store.SizeBytes);
    }

    [Fact]
    public void Each_item_keeps_at_most_its_bound_of_versions_the_least_recently_used_leaves()
    {
        var store = Store(perItem: 2);
        var (v1, v2, v3) = (Item(A, "v1"), Item(A, "v2"), Item(A, "v3"));
        store.Remember(v1);
        store.Remember(v2);
        store.Find(A, v1.Validator);           // v1 used again: v2 is now the least recently used
        store.Remember(v3);

        Assert.NotNull(store.Find(A, v1.Validator));
        Assert.Null(store.Find(A, v2.Validator));
        Assert.NotNull(store.Find(A, v3.Validator));
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void All_items_together_stay_within_the_byte_bound()
    {
        var store = Store(bytes: 10);
        store.Remember(Item(A, "aaaa"));
        store.Remember(Item(B, "bbbb"));
        store.Remember(Item(A, "cccc"));

        Assert.Equal(8, store.SizeBytes);
        Assert.Null(store.Find(A, Item(A, "aaaa").Validator));
        Assert.NotNull(store.Find(B, Item(B, "bbbb").Validator));
    }

    [Fact]
    public void An_item_over_the_size_bound_is_not_kept()
    {
        var store = Store(itemBytes: 3);
        store.Remember(Item(A, "four"));

        Assert.Equal(0, store.Count);
        Assert.Null(new DeltaEncoder(store, Options.Create(new DeltaOptions { MaxItemBytes = 3 })).TryEncode(Item(A, "five!"), DeltaBase.MirrorVersion(Item(A, "four").Validator)));
    }

    [Fact]
    public void A_delta_is_only_made_when_it_is_smaller_than_the_item()
    {
        var store = Store();
        var encoder = new DeltaEncoder(store, Options.Create(new DeltaOptions()));
        var tiny = Item(A, "x");
        store.Remember(tiny);

        Assert.Null(encoder.TryEncode(Item(A, "y"), DeltaBase.MirrorVersion(tiny.Validator)));
    }

    [Fact]
    public void Options_out_of_range_are_refused_naming_the_key()
    {
        var result = new DeltaOptionsValidator().Validate(null, new DeltaOptions
        {
            MaxVersionsPerItem = 0, MaxBytes = -1, MaxItemBytes = 0, DictionaryLifetime = TimeSpan.Zero,
        });

        Assert.True(result.Failed);
        foreach (var key in new[] { "Delta:MaxVersionsPerItem", "Delta:MaxBytes", "Delta:MaxItemBytes", "Delta:DictionaryLifetime" })
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(key, StringComparison.Ordinal));
        }

        Assert.True(new DeltaOptionsValidator().Validate(null, new DeltaOptions()).Succeeded);
    }
}
