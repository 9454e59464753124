using System.Text;
using ClusterEngine.Mirroring;
using ClusterEngine.Origin;
using ClusterEngine.Tests.Origin;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>The engine side of one request, origin cache plus mirror, step by step (patent Fig. 9 and 10).</summary>
public sealed class DataPathTests : IDisposable
{
    private readonly CountingOrigin _origin = new();
    private readonly OriginCache _cache;
    private readonly CacheMirror _mirror = NewMirror();
    private readonly ItemKey _key = ItemKey.Parse("weather/today.json");

    public DataPathTests()
    {
        _origin.Set(_key.Value, """{"temp":21}""");
        _cache = new OriginCache(_origin, Options.Create(new OriginOptions()), new FakeTimeProvider(), NullLogger<OriginCache>.Instance);
    }

    public void Dispose() => _cache.Dispose();

    [Fact]
    public async Task Fig9_steps_900_to_950_an_unchanged_item_is_answered_use_cached_copy_the_second_time()
    {
        var item = await _cache.GetAsync(_key, default); // step 910
        var first = _mirror.Decide(TestClient, _key.Value, item!.Validator, null); // step 920
        Assert.False(first.UseCachedCopy); // step 940: send the item
        var sequence = _mirror.Record(TestClient, _key.Value, item.Validator, item.Length, null); // step 950

        var again = await _cache.GetAsync(_key, default);
        var second = _mirror.Decide(TestClient, _key.Value, again!.Validator, sequence);

        Assert.True(second.UseCachedCopy); // step 930
    }

    [Fact]
    public async Task Fig9_step940_a_changed_item_is_sent_again()
    {
        var item = await _cache.GetAsync(_key, default);
        var sequence = _mirror.Record(TestClient, _key.Value, item!.Validator, item.Length, null);
        _origin.Set(_key.Value, """{"temp":22}""");
        _cache.Invalidate(_key);

        var changed = await _cache.GetAsync(_key, default);

        Assert.Equal(MirrorDecisionReason.Changed, _mirror.Decide(TestClient, _key.Value, changed!.Validator, sequence).Reason);
    }

    [Fact]
    public async Task Fig10_step1040_matching_crc_means_use_cached_copy()
    {
        var clientCopy = Encoding.UTF8.GetBytes("""{"temp":21}""");
        var clientCrc = ItemValidator.Compute(clientCopy); // step 1000, sent as If-None-Match (step 1010)

        var item = await _cache.GetAsync(_key, default); // steps 1020-1030

        Assert.Equal(ItemValidator.ToETag(clientCrc), item!.ETag); // step 1040 -> 1050
    }

    [Fact]
    public async Task Fig10_step1060_a_different_crc_means_send_the_item_and_step1070_records_it()
    {
        var clientCrc = ItemValidator.Compute("""{"temp":20}"""u8);
        var item = await _cache.GetAsync(_key, default);
        Assert.NotEqual(clientCrc, item!.Validator); // step 1060

        var sequence = _mirror.Record(TestClient, _key.Value, item.Validator, item.Length, null); // step 1070

        Assert.Equal([new MirrorEntry(_key.Value, item.Validator, item.Length, sequence)], _mirror.Entries(TestClient));
    }
}
