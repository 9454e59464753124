using ClusterEngine.Mirroring;
using ClusterPortal.Client.Contract;

namespace ClusterEngine.Tests.Deltas;

/// <summary>
/// The rule's delta outcome (RFC 9842; docs/deltas.md): a 200 to a request that accepts <c>dcz</c> names the version
/// to encode against — the client's <c>Available-Dictionary</c> first, else the trusted mirror's version — and nothing
/// else changes: 304s, the mirror effect and the sequence stay as without deltas.
/// </summary>
public sealed class DeltaRuleTests
{
    private const ulong Current = 0x81b69dda2f09a3e5;
    private const ulong Held = 0x0123456789abcdef;
    private const ulong Sequence = 0x1747b0d900000002;
    private static readonly DictionaryHash Hash = DictionaryHash.Of("old"u8);

    private static ItemConditions Conditions(string? acceptEncoding, string? dictionary = null, string? ifNoneMatch = null,
        bool prefer = false, bool head = false) =>
        ItemConditions.FromHeaders(head, ifNoneMatch is null ? [] : [ifNoneMatch], prefer ? ["cache-mirror"] : [],
                prefer ? [MirrorSequence.Format(Sequence)] : [])
            .WithDeltaFields(acceptEncoding is null ? [] : [acceptEncoding], dictionary is null ? [] : [dictionary]);

    [Fact]
    public void A_200_to_a_request_naming_its_dictionary_is_a_delta_against_it()
    {
        var answer = ItemAnswerRule.Decide(Conditions("gzip, dcz", Hash.ToHeader(), "\"0000000000000000\""), Current, null);

        Assert.Equal(200, answer.StatusCode);
        Assert.Equal(DeltaBase.Dictionary(Hash), answer.Delta);
        Assert.True(answer.VariesByDictionary);
        Assert.Equal(MirrorEffect.Record, answer.Mirror);
    }

    [Fact]
    public void A_304_is_never_a_delta() =>
        Assert.Null(ItemAnswerRule.Decide(Conditions("dcz", Hash.ToHeader(), ItemValidator.ToETag(Current)), Current, null).Delta);

    [Fact]
    public void The_trusted_mirror_names_the_version_when_the_client_names_none()
    {
        var verdict = new MirrorDecision(MirrorDecisionReason.Changed, Sequence) { HeldValidator = Held };

        var answer = ItemAnswerRule.Decide(Conditions("dcz", prefer: true), Current, verdict);

        Assert.Equal(DeltaBase.MirrorVersion(Held), answer.Delta);
        Assert.True(answer.PreferenceApplied);
    }

    [Fact]
    public void The_clients_own_dictionary_wins_over_the_mirror()
    {
        var verdict = new MirrorDecision(MirrorDecisionReason.Changed, Sequence) { HeldValidator = Held };

        Assert.Equal(DeltaBase.Dictionary(Hash), ItemAnswerRule.Decide(Conditions("dcz", Hash.ToHeader(), prefer: true), Current, verdict).Delta);
    }

    [Theory]
    [InlineData(MirrorDecisionReason.SequenceMismatch)]
    [InlineData(MirrorDecisionReason.NotInMirror)]
    [InlineData(MirrorDecisionReason.UnknownClient)]
    public void A_mirror_that_does_not_vouch_names_no_version(MirrorDecisionReason reason) =>
        Assert.Null(ItemAnswerRule.Decide(Conditions("dcz", prefer: true), Current, new MirrorDecision(reason, Sequence)).Delta);

    [Theory]
    [InlineData(null)]
    [InlineData("gzip, br, zstd")]
    [InlineData("dcz;q=0")]
    [InlineData("*")]
    [InlineData("xdcz, dczz")]
    public void Without_dcz_accepted_there_is_no_delta(string? acceptEncoding)
    {
        var answer = ItemAnswerRule.Decide(Conditions(acceptEncoding, Hash.ToHeader()), Current, null);

        Assert.Null(answer.Delta);
        Assert.False(answer.VariesByDictionary);
    }

    [Theory]
    [InlineData("DCZ")]
    [InlineData(" gzip ,dcz ; q=0.5")]
    [InlineData("dcz;q=1")]
    public void Dcz_is_accepted_case_insensitively_with_any_positive_weight(string acceptEncoding) =>
        Assert.NotNull(ItemAnswerRule.Decide(Conditions(acceptEncoding, Hash.ToHeader()), Current, null).Delta);

    [Fact]
    public void A_head_is_never_a_delta_but_varies_as_its_get_would()
    {
        var head = ItemAnswerRule.Decide(Conditions("dcz", Hash.ToHeader(), head: true), Current, null);

        Assert.Null(head.Delta);
        Assert.True(head.VariesByDictionary);
    }

    /// <summary>RFC 9110 §15.4.5: a 304 generates the <c>Vary</c> its 200 would carry; before, only the 200 did.</summary>
    [Fact]
    public void A_304_to_a_request_that_offered_dcz_varies_as_its_200_would()
    {
        var notModified = ItemAnswerRule.Decide(Conditions("dcz", Hash.ToHeader(), ItemValidator.ToETag(Current)), Current, null);
        var plain = ItemAnswerRule.Decide(Conditions(null, null, ItemValidator.ToETag(Current)), Current, null);

        Assert.Equal((304, true), (notModified.StatusCode, notModified.VariesByDictionary));
        Assert.Equal((304, false), (plain.StatusCode, plain.VariesByDictionary));
    }

    [Fact]
    public void A_malformed_dictionary_field_is_ignored_not_an_error()
    {
        var answer = ItemAnswerRule.Decide(Conditions("dcz", ":not-a-hash:"), Current, null);

        Assert.Equal(200, answer.StatusCode);
        Assert.Null(answer.Delta);
        Assert.True(answer.VariesByDictionary);
    }
}
