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

    [Fact]
    public void A_size_beyond_4_GiB_is_recorded_as_4_GiB_less_one_and_a_repeat_still_changes_nothing()
    {
        var mirror = NewMirror();
        var huge = 5L << 30;
        var sequence = mirror.Record(TestClient, "big.iso", 1, huge, null);

        var again = mirror.RecordTracked(TestClient, "big.iso", 1, huge, sequence, inProtocol: true, out var changed, null);

        Assert.False(changed);
        Assert.Equal(sequence, again);
        Assert.Equal(uint.MaxValue, mirror.Entries(TestClient).Single().SizeBytes);
    }

    [Fact]
    public void Every_entry_carries_the_lineage_of_the_mirror_even_from_a_snapshot_that_mixes_lineages()
    {
        // A forged or damaged full snapshot: an entry of another lineage counts as the snapshot's own, newest change.
        var mirror = NewMirror();
        var applied = mirror.Merge(new MirrorSnapshot(TestClient, true, 0, 0x0000_0009_0000_0005,
            [new MirrorEntry("a", 1, 10, 0x0000_0009_0000_0004), new MirrorEntry("x", 2, 10, 0x0000_0003_0000_0007)]));

        Assert.Equal(MergeResult.Applied, applied);
        Assert.Equal([("a", 0x0000_0009_0000_0004UL), ("x", 0x0000_0009_0000_0005UL)],
            mirror.Whole(TestClient)!.Entries.Select(e => (e.Key, e.Sequence)));
    }

    [Fact]
    public void Entries_that_cannot_belong_to_a_snapshots_state_leave_on_an_echo_of_an_earlier_state()
    {
        // A damaged row or a forged snapshot at L|3: x is of another lineage, y is numbered after the state. Neither may
        // outlive an echo of L|1, as an entry changed after L|1 would not (found by an attack on the stored rows).
        var mirror = NewMirror();
        mirror.Merge(new MirrorSnapshot(TestClient, true, 0, 0x0000_000A_0000_0003,
            [new MirrorEntry("a", 1, 10, 0x0000_000A_0000_0001), new MirrorEntry("x", 2, 10, 0x0BAD_BEEF_0000_0001),
             new MirrorEntry("y", 3, 10, 0x0000_000A_0000_0009)]));

        var next = mirror.Record(TestClient, "b", 4, 10, 0x0000_000A_0000_0001);

        Assert.Equal(["b", "a"], mirror.Entries(TestClient).Select(e => e.Key));
        Assert.False(mirror.Decide(TestClient, "x", 2, next).UseCachedCopy);
        Assert.False(mirror.Decide(TestClient, "y", 3, next).UseCachedCopy);
    }

    [Fact]
    public void A_snapshot_at_sequence_zero_changes_nothing()
    {
        var mirror = NewMirror();
        var sequence = mirror.Record(TestClient, "a", 1, 10, null);

        Assert.Equal(MergeResult.NeedsFullSync, mirror.Merge(new MirrorSnapshot(TestClient, true, 0, 0, [new MirrorEntry("z", 9, 9, 0)])));

        Assert.Equal(sequence, mirror.CurrentSequence(TestClient));
        Assert.Equal(["a"], mirror.Entries(TestClient).Select(e => e.Key));
    }

    [Fact]
    public void A_restored_row_longer_than_the_bound_keeps_its_most_recent_entries()
    {
        var mirror = NewMirror(maxEntries: 3);
        var entries = Enumerable.Range(0, 50_000).Select(i => new MirrorEntry($"k{i}", (ulong)i, 1, 0x0000_000B_0000_0001)).ToArray();

        mirror.Restore(TestClient, 0x0000_000B_0000_0001, entries);

        Assert.Equal(["k49999", "k49998", "k49997"], mirror.Entries(TestClient).Select(e => e.Key));
    }
}
