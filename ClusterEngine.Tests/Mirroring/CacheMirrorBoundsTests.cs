using ClusterEngine.Mirroring;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

public sealed class CacheMirrorBoundsTests
{
    [Fact]
    public void Least_recently_used_entry_leaves_first()
    {
        var mirror = NewMirror(maxEntries: 3);
        var sequence = mirror.Record(TestClient, "a", 1, 10, null);
        sequence = mirror.Record(TestClient, "b", 2, 10, sequence);
        sequence = mirror.Record(TestClient, "c", 3, 10, sequence);
        Assert.True(mirror.Decide(TestClient, "a", 1, sequence).UseCachedCopy); // a is now more recent than b

        sequence = mirror.Record(TestClient, "d", 4, 10, sequence);

        Assert.Equal(["d", "a", "c"], mirror.Entries(TestClient).Select(e => e.Key));
        Assert.Equal(MirrorDecisionReason.NotInMirror, mirror.Decide(TestClient, "b", 2, sequence).Reason);
    }

    [Fact]
    public void Updating_an_entry_does_not_evict()
    {
        var mirror = NewMirror(maxEntries: 2);
        var sequence = mirror.Record(TestClient, "a", 1, 10, null);
        sequence = mirror.Record(TestClient, "b", 2, 10, sequence);

        sequence = mirror.Record(TestClient, "a", 5, 50, sequence);

        Assert.Equal([new MirrorEntry("a", 5, 50, sequence), new MirrorEntry("b", 2, 10, sequence - 1)], mirror.Entries(TestClient));
    }

    [Fact]
    public void Bound_holds_for_every_client_under_concurrent_use()
    {
        const int Max = 8;
        var mirror = NewMirror(maxEntries: Max);
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, client =>
        {
            var random = new Random(client);
            ulong? sequence = null;
            for (var i = 0; i < 500; i++)
            {
                var clientId = $"client-{client % 16}"; // four threads share each client
                var key = $"item/{random.Next(40)}";
                _ = mirror.Decide(clientId, key, 1, sequence);
                sequence = mirror.Record(clientId, key, 1, i, sequence);
            }
        });

        Assert.Equal(16, mirror.ClientCount);
        Assert.All(Enumerable.Range(0, 16), c => Assert.InRange(mirror.Entries($"client-{c}").Count, 1, Max));
    }
}
