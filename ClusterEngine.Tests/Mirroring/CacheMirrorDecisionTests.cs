using ClusterEngine.Mirroring;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Mirroring;

public sealed class CacheMirrorDecisionTests
{
    private readonly CacheMirror _mirror = NewMirror();

    [Fact]
    public void Fig9_step930_current_validator_and_matching_sequence_means_use_cached_copy()
    {
        var sequence = _mirror.Record(TestClient, "news/today.json", 7, 1200, null);

        var decision = _mirror.Decide(TestClient, "news/today.json", 7, sequence);

        Assert.True(decision.UseCachedCopy);
        Assert.Equal(new MirrorDecision(MirrorDecisionReason.Matched, sequence), decision);
    }

    [Fact]
    public void Fig9_step940_changed_item_means_send_item()
    {
        var sequence = _mirror.Record(TestClient, "news/today.json", 7, 1200, null);

        var decision = _mirror.Decide(TestClient, "news/today.json", 8, sequence);

        Assert.False(decision.UseCachedCopy);
        Assert.Equal(MirrorDecisionReason.Changed, decision.Reason);
    }

    [Fact]
    public void Fig10_unknown_client_or_item_falls_back_to_sending_the_item()
    {
        Assert.Equal(new MirrorDecision(MirrorDecisionReason.UnknownClient, 0), _mirror.Decide(TestClient, "a", 1, null));

        var sequence = _mirror.Record(TestClient, "a", 1, 10, null);

        Assert.Equal(MirrorDecisionReason.NotInMirror, _mirror.Decide(TestClient, "b", 1, sequence).Reason);
    }

    [Fact]
    public void Fig9_step950_every_record_that_changes_the_mirror_advances_the_sequence()
    {
        var first = _mirror.Record(TestClient, "a", 1, 10, null);
        var second = _mirror.Record(TestClient, "a", 2, 10, first);
        var third = _mirror.Record(TestClient, "b", 2, 10, second);

        Assert.True(first < second && second < third);
        Assert.Equal(third, _mirror.CurrentSequence(TestClient));
        Assert.NotEqual(0UL, first);
    }

    [Fact]
    public void A_repeat_of_what_the_current_state_holds_changes_nothing()
    {
        var first = _mirror.Record(TestClient, "a", 1, 10, null);
        var repeat = _mirror.Record(TestClient, "a", 1, 10, first);

        Assert.Equal(first, repeat);
        Assert.Equal(first, _mirror.CurrentSequence(TestClient));
        Assert.Equal(MirrorDecisionReason.Matched, _mirror.Decide(TestClient, "a", 1, first).Reason);
    }

    [Fact]
    public void A_repeat_that_echoes_an_older_state_still_drops_what_came_after_it()
    {
        var first = _mirror.Record(TestClient, "a", 1, 10, null);
        var second = _mirror.Record(TestClient, "b", 2, 10, first);
        var third = _mirror.Record(TestClient, "a", 1, 10, first); // b's answer may never have arrived

        Assert.True(third > second);
        Assert.Equal(["a"], _mirror.Entries(TestClient).Select(e => e.Key));
    }

    [Fact]
    public void A_client_outside_the_mirror_protocol_starts_no_new_lineage_and_its_repeats_change_nothing()
    {
        var store = new MirrorStore(_mirror, TimeProvider.System);
        var first = store.Record(TestClient, "a", 1, 10, null, inProtocol: false, out var changed);
        Assert.True(changed);
        var second = store.Record(TestClient, "b", 2, 10, null, inProtocol: false, out changed);
        Assert.True(changed);
        var repeat = store.Record(TestClient, "b", 2, 10, null, inProtocol: false, out changed);

        Assert.False(changed);
        Assert.Equal(second, repeat);
        Assert.True(MirrorLineage.IsAtOrBefore(first, second)); // the same lineage: nothing dropped, no random number drawn
        Assert.Equal(["a", "b"], _mirror.Entries(TestClient).Select(e => e.Key).Order(StringComparer.Ordinal));

        // Those numbers were never sent: a client that joins the protocol without an echo still starts over.
        Assert.Equal(MirrorDecisionReason.SequenceMismatch, _mirror.Decide(TestClient, "b", 2, null).Reason);
        var joined = store.Record(TestClient, "b", 2, 10, null, inProtocol: true, out changed);
        Assert.True(changed);
        Assert.False(MirrorLineage.IsAtOrBefore(second, joined));
        Assert.Equal(["b"], _mirror.Entries(TestClient).Select(e => e.Key));
    }

    [Fact]
    public void No_echo_never_uses_the_mirror()
    {
        _mirror.Record(TestClient, "a", 1, 10, null);

        Assert.Equal(MirrorDecisionReason.SequenceMismatch, _mirror.Decide(TestClient, "a", 1, null).Reason);
    }

    [Fact]
    public void Use_cached_copy_changes_nothing_the_client_must_learn()
    {
        var sequence = _mirror.Record(TestClient, "a", 1, 10, null);

        _mirror.Decide(TestClient, "a", 1, sequence);

        Assert.Equal(sequence, _mirror.CurrentSequence(TestClient));
        Assert.True(_mirror.Decide(TestClient, "a", 1, sequence).UseCachedCopy);
    }
}
