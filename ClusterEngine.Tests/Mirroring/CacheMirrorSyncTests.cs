using ClusterEngine.Mirroring;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>Primary-to-alternate mirror sync (docs/architecture.md §8) and failover onto the alternate's mirror.</summary>
public sealed class CacheMirrorSyncTests
{
    private readonly CacheMirror _primary = NewMirror();
    private readonly CacheMirror _alternate = NewMirror();

    [Fact]
    public void A_synced_alternate_keeps_answering_use_cached_copy_after_failover()
    {
        var sequence = _primary.Record(TestClient, "a", 1, 10, null);
        sequence = _primary.Record(TestClient, "b", 2, 20, sequence);

        Assert.Equal(MergeResult.Applied, _alternate.Merge(_primary.ChangesSince(TestClient, 0)!));

        Assert.True(_alternate.Decide(TestClient, "a", 1, sequence).UseCachedCopy);
        Assert.Equal(_primary.Entries(TestClient).OrderBy(e => e.Key), _alternate.Entries(TestClient).OrderBy(e => e.Key));
    }

    [Fact]
    public void Changes_since_a_checkpoint_are_a_delta_of_the_changed_entries()
    {
        var checkpoint = _primary.Record(TestClient, "a", 1, 10, null);
        _alternate.Merge(_primary.ChangesSince(TestClient, 0)!);
        var sequence = _primary.Record(TestClient, "b", 2, 20, checkpoint);

        var delta = _primary.ChangesSince(TestClient, checkpoint)!;

        Assert.False(delta.IsFull);
        Assert.Equal(checkpoint, delta.BaseSequence);
        Assert.Equal([new MirrorEntry("b", 2, 20, sequence)], delta.Entries);
        Assert.Equal(MergeResult.Applied, _alternate.Merge(delta));
        Assert.True(_alternate.Decide(TestClient, "a", 1, sequence).UseCachedCopy);
    }

    [Fact]
    public void Merge_is_idempotent_and_ignores_late_snapshots()
    {
        var sequence = _primary.Record(TestClient, "a", 1, 10, null);
        var early = _primary.ChangesSince(TestClient, 0)!;
        _primary.Record(TestClient, "b", 2, 20, sequence);
        var late = _primary.ChangesSince(TestClient, 0)!;

        Assert.Equal(MergeResult.Applied, _alternate.Merge(late));
        Assert.Equal(MergeResult.AlreadyCurrent, _alternate.Merge(late));
        Assert.Equal(MergeResult.Stale, _alternate.Merge(early));
        Assert.Equal(2, _alternate.Entries(TestClient).Count);
    }

    [Fact]
    public void A_delta_on_another_base_is_refused_and_a_full_snapshot_follows()
    {
        var checkpoint = _primary.Record(TestClient, "a", 1, 10, null);
        _primary.Record(TestClient, "b", 2, 20, checkpoint);

        Assert.Equal(MergeResult.NeedsFullSync, _alternate.Merge(_primary.ChangesSince(TestClient, checkpoint)!));
        Assert.Empty(_alternate.Entries(TestClient));
        Assert.Equal(MergeResult.Applied, _alternate.Merge(_primary.ChangesSince(TestClient, 0)!));
    }

    [Fact]
    public void Evictions_or_clears_since_the_checkpoint_make_the_snapshot_full()
    {
        var primary = NewMirror(maxEntries: 1);
        var checkpoint = primary.Record(TestClient, "a", 1, 10, null);
        primary.Record(TestClient, "b", 2, 20, checkpoint); // evicts a

        var snapshot = primary.ChangesSince(TestClient, checkpoint)!;

        Assert.True(snapshot.IsFull);
        Assert.Equal(["b"], snapshot.Entries.Select(e => e.Key));
        Assert.True(_primary.ChangesSince("nobody", 0) is null);
    }

    [Fact]
    public void An_alternate_that_is_behind_never_answers_from_its_old_mirror()
    {
        var sequence = _primary.Record(TestClient, "a", 1, 10, null);
        _alternate.Merge(_primary.ChangesSince(TestClient, 0)!);
        sequence = _primary.Record(TestClient, "a", 2, 10, sequence); // never synced; then the primary fails

        Assert.Equal(MirrorDecisionReason.SequenceMismatch, _alternate.Decide(TestClient, "a", 1, sequence).Reason);
        var next = _alternate.Record(TestClient, "b", 3, 10, sequence);
        Assert.Equal(MirrorDecisionReason.NotInMirror, _alternate.Decide(TestClient, "a", 1, next).Reason);
    }

    [Fact]
    public void A_value_that_changes_and_changes_back_while_the_alternate_is_behind_is_sent()
    {
        var sequence = _primary.Record(TestClient, "a", 1, 10, null);
        _alternate.Merge(_primary.ChangesSince(TestClient, 0)!); // the alternate knows version 1
        sequence = _primary.Record(TestClient, "a", 2, 10, sequence); // the client now holds version 2

        // The origin changes back to version 1; the alternate took over without the last sync.
        var decision = _alternate.Decide(TestClient, "a", 1, sequence);

        Assert.False(decision.UseCachedCopy);
    }

    [Fact]
    public void An_alternate_that_took_over_never_reuses_a_number_the_old_primary_may_still_send()
    {
        var sequence = _primary.Record(TestClient, "a", 1, 10, null);
        _alternate.Merge(_primary.ChangesSince(TestClient, 0)!);
        var fromOldPrimary = _primary.Record(TestClient, "b", 2, 10, sequence); // answered just before failover

        var fromNewPrimary = _alternate.Record(TestClient, "c", 3, 10, sequence);

        Assert.NotEqual(fromOldPrimary, fromNewPrimary);
        Assert.Equal(MirrorDecisionReason.SequenceMismatch, _alternate.Decide(TestClient, "c", 3, fromOldPrimary).Reason);
        Assert.True(_alternate.Decide(TestClient, "a", 1, fromNewPrimary).UseCachedCopy); // the synced entry survives
    }
}
