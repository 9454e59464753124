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
    public void Fig9_step950_every_record_advances_the_sequence()
    {
        var first = _mirror.Record(TestClient, "a", 1, 10, null);
        var second = _mirror.Record(TestClient, "a", 1, 10, first);
        var third = _mirror.Record(TestClient, "b", 2, 10, second);

        Assert.True(first < second && second < third);
        Assert.Equal(third, _mirror.CurrentSequence(TestClient));
        Assert.NotEqual(0UL, first);
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
