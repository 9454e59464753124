using ClusterEngine.Mirroring;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>The "never a wrong 304" cases of docs/architecture.md §8.</summary>
public sealed class CacheMirrorFailureTests
{
    private readonly CacheMirror _mirror = NewMirror();

    [Fact]
    public void A_200_lost_in_transit_never_turns_into_a_mirror_304()
    {
        var received = _mirror.Record(TestClient, "a", 1, 10, null);
        _mirror.Record(TestClient, "b", 2, 10, received); // the answer carrying b never reaches the client

        Assert.False(_mirror.Decide(TestClient, "b", 2, received).UseCachedCopy);
        Assert.Equal(MirrorDecisionReason.SequenceMismatch, _mirror.Decide(TestClient, "a", 1, received).Reason);
    }

    [Fact]
    public void After_a_lost_200_the_next_answer_resynchronises_without_vouching_for_the_lost_item()
    {
        var received = _mirror.Record(TestClient, "a", 1, 10, null);
        _mirror.Record(TestClient, "b", 2, 10, received); // lost
        var next = _mirror.Record(TestClient, "c", 3, 10, received); // the client echoes what it has, gets c

        Assert.Equal(MirrorDecisionReason.NotInMirror, _mirror.Decide(TestClient, "b", 2, next).Reason);
        Assert.True(_mirror.Decide(TestClient, "a", 1, next).UseCachedCopy);
        Assert.True(_mirror.Decide(TestClient, "c", 3, next).UseCachedCopy);
    }

    [Fact]
    public void Concurrent_answers_one_lost_never_vouch_for_the_lost_one()
    {
        var start = _mirror.Record(TestClient, "a", 1, 10, null);
        _mirror.Record(TestClient, "b", 2, 10, start); // answered first, lost
        var received = _mirror.Record(TestClient, "c", 3, 10, start); // same echo: concurrent request

        Assert.Equal(MirrorDecisionReason.NotInMirror, _mirror.Decide(TestClient, "b", 2, received).Reason);
        Assert.True(_mirror.Decide(TestClient, "c", 3, received).UseCachedCopy);
    }

    [Fact]
    public void A_replaced_entry_the_client_may_have_missed_is_dropped_not_reverted()
    {
        var received = _mirror.Record(TestClient, "a", 1, 10, null);
        _mirror.Record(TestClient, "a", 2, 10, received); // the new version is lost; the client still holds 1
        var next = _mirror.Record(TestClient, "b", 3, 10, received);

        Assert.Equal(MirrorDecisionReason.NotInMirror, _mirror.Decide(TestClient, "a", 2, next).Reason);
        Assert.Equal(MirrorDecisionReason.NotInMirror, _mirror.Decide(TestClient, "a", 1, next).Reason);
    }

    [Fact]
    public void A_cleared_cache_never_gets_a_mirror_304()
    {
        var old = _mirror.Record(TestClient, "a", 1, 10, null);

        var cleared = _mirror.Clear(TestClient);

        Assert.NotEqual(old, cleared);
        Assert.Empty(_mirror.Entries(TestClient));
        Assert.Equal(MirrorDecisionReason.SequenceMismatch, _mirror.Decide(TestClient, "a", 1, old).Reason);
        Assert.Equal(MirrorDecisionReason.NotInMirror, _mirror.Decide(TestClient, "a", 1, cleared).Reason);
        var next = _mirror.Record(TestClient, "b", 2, 10, old); // a stale echo after the clear keeps nothing from before
        Assert.Equal(MirrorDecisionReason.NotInMirror, _mirror.Decide(TestClient, "a", 1, next).Reason);
    }

    [Fact]
    public void Fig10_step1070_a_304_on_the_clients_own_validator_is_recorded_even_without_an_echo()
    {
        _mirror.Record(TestClient, "a", 1, 10, null);

        var sequence = _mirror.Record(TestClient, "b", 2, 10, echoedSequence: null);

        Assert.Equal(MirrorDecisionReason.NotInMirror, _mirror.Decide(TestClient, "a", 1, sequence).Reason);
        Assert.True(_mirror.Decide(TestClient, "b", 2, sequence).UseCachedCopy);
    }

    [Fact]
    public void A_removed_mirror_starts_a_new_history_that_old_sequences_never_match()
    {
        var old = _mirror.Record(TestClient, "a", 1, 10, null);
        Assert.True(_mirror.Remove(TestClient));

        var fresh = _mirror.Record(TestClient, "b", 2, 10, old);

        Assert.Equal(MirrorDecisionReason.SequenceMismatch, _mirror.Decide(TestClient, "b", 2, old).Reason);
        Assert.True(_mirror.Decide(TestClient, "b", 2, fresh).UseCachedCopy);
        Assert.Single(_mirror.Entries(TestClient));
    }
}
