using ClusterEngine.Mirroring;

namespace ClusterEngine.Tests.Mirroring;

/// <summary>
/// The 304 decision (patent Fig. 9 steps 920–950, Fig. 10 steps 1030–1070) against RFC 9110 §13: If-None-Match with
/// weak comparison, lists and <c>*</c> (§13.1.2), the order of §13.2.2, HEAD, invalid fields ignored; then the mirror,
/// and what each answer does to it. If-Modified-Since is not a condition here: a date names no version.
/// </summary>
public sealed class ItemAnswerRuleTests
{
    private const ulong Hello = 0x81b69dda2f09a3e5;
    private const string HelloTag = "\"81b69dda2f09a3e5\"";
    private const ulong Sequence = 0x1747b0d900000002;

    private static ItemConditions Conditions(string? ifNoneMatch = null, bool prefer = false, string? sequence = null, bool head = false) =>
        ItemConditions.FromHeaders(head, ifNoneMatch is null ? [] : [ifNoneMatch], prefer ? ["cache-mirror"] : [], sequence is null ? [] : [sequence]);

    private static ItemAnswer Decide(ItemConditions conditions, MirrorDecision? verdict = null) =>
        ItemAnswerRule.Decide(conditions, Hello, verdict);

    [Theory]
    [InlineData(HelloTag, 304)]
    [InlineData("W/" + HelloTag, 304)]                      // weak comparison: W/ on either side still matches
    [InlineData("w/ " + HelloTag, 304)]                     // lower-case w and a space, as ASP.NET Core accepts
    [InlineData("\"0000000000000000\", " + HelloTag, 304)]  // a list: any member may match
    [InlineData("\"a\",,\t" + HelloTag + " ,", 304)]        // empty members and whitespace
    [InlineData("\"0000000000000000\"", 200)]
    [InlineData("\"81B69DDA2F09A3E5\"", 200)]               // opaque tags compare character by character
    [InlineData("\"81b69dda2f09a3e5 \"", 200)]
    public void Rfc9110_13_1_2_if_none_match_weak_comparison_and_lists(string ifNoneMatch, int status)
    {
        var answer = Decide(Conditions(ifNoneMatch));

        Assert.Equal(status, answer.StatusCode);
        Assert.Equal(ItemAnswerBasis.IfNoneMatch, answer.Basis);
        Assert.Equal(MirrorEffect.Record, answer.Mirror); // a named tag or the bytes: the client holds the item
    }

    [Theory]
    [InlineData("*")]
    [InlineData(" * ")]
    [InlineData("\"0000000000000000\", *")]
    public void Rfc9110_13_1_2_star_is_any_current_representation_and_names_no_version(string ifNoneMatch)
    {
        var answer = Decide(Conditions(ifNoneMatch, sequence: "1747b0d900000002"));

        Assert.Equal(304, answer.StatusCode);
        Assert.Equal(ItemAnswerBasis.IfNoneMatchAny, answer.Basis);
        Assert.Equal(MirrorEffect.None, answer.Mirror);
        Assert.False(answer.SendsSequence);
    }

    [Fact]
    public void Rfc9110_13_2_2_if_none_match_wins_over_the_mirror()
    {
        var matched = new MirrorDecision(MirrorDecisionReason.Matched, Sequence);

        var stale = Decide(Conditions("\"0000000000000000\"", prefer: true, sequence: "1747b0d900000002"), matched);
        var fresh = Decide(Conditions(HelloTag, prefer: true));

        Assert.Equal((200, ItemAnswerBasis.IfNoneMatch, false), (stale.StatusCode, stale.Basis, stale.PreferenceApplied));
        Assert.Equal((304, ItemAnswerBasis.IfNoneMatch), (fresh.StatusCode, fresh.Basis));
        Assert.False(ItemAnswerRule.ConsultsMirror(Conditions(HelloTag, prefer: true)));
        Assert.True(ItemAnswerRule.ConsultsMirror(Conditions(prefer: true)));
    }

    [Theory]
    [InlineData("garbage-without-quotes")]
    [InlineData(HelloTag + " garbage")]           // one invalid member spoils the field
    [InlineData("\"unterminated")]
    [InlineData("W/")]
    [InlineData("")]
    public void Invalid_if_none_match_is_ignored(string ifNoneMatch)
    {
        var conditions = Conditions(ifNoneMatch);

        Assert.Null(conditions.IfNoneMatch);
        Assert.Equal((200, ItemAnswerBasis.Unconditional), (Decide(conditions).StatusCode, Decide(conditions).Basis));
    }

    [Theory]
    [InlineData(HelloTag, false, 304)]
    [InlineData("\"0000000000000000\"", false, 200)]
    [InlineData("*", false, 304)]
    [InlineData(null, true, 304)]
    [InlineData(null, false, 200)]
    public void Head_gets_the_status_of_a_get_but_never_changes_the_mirror_or_carries_a_sequence(string? ifNoneMatch, bool mirrorMatches, int status)
    {
        var verdict = new MirrorDecision(mirrorMatches ? MirrorDecisionReason.Matched : MirrorDecisionReason.Changed, Sequence);

        var get = Decide(Conditions(ifNoneMatch, prefer: true, sequence: "1747b0d900000002"), verdict);
        var head = Decide(Conditions(ifNoneMatch, prefer: true, sequence: "1747b0d900000002", head: true), verdict);

        Assert.Equal(status, get.StatusCode);
        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal((MirrorEffect.None, false, (ulong?)null), (head.Mirror, head.SendsSequence, head.ConfirmedSequence));
    }

    [Fact]
    public void Fig9_step930_the_mirror_vouches_only_through_its_verdict_and_confirms_its_sequence()
    {
        var conditions = Conditions(prefer: true, sequence: "1747b0d900000002");

        var matched = Decide(conditions, new MirrorDecision(MirrorDecisionReason.Matched, Sequence));

        Assert.True(ItemAnswerRule.ConsultsMirror(conditions));
        Assert.Equal(new ItemAnswer(true, ItemAnswerBasis.Mirror, true, MirrorEffect.Confirm, Sequence, true), matched);
    }

    [Theory]
    [InlineData(MirrorDecisionReason.UnknownClient)]
    [InlineData(MirrorDecisionReason.SequenceMismatch)]
    [InlineData(MirrorDecisionReason.NotInMirror)]
    [InlineData(MirrorDecisionReason.Changed)]
    public void Fig9_step940_any_other_verdict_sends_the_item_and_records_it(MirrorDecisionReason reason)
    {
        var answer = Decide(Conditions(prefer: true, sequence: "1747b0d900000002"), new MirrorDecision(reason, Sequence));

        Assert.Equal(new ItemAnswer(false, ItemAnswerBasis.Mirror, true, MirrorEffect.Record, null, true), answer);
    }

    [Fact]
    public void Without_a_verdict_the_mirror_path_sends_the_item_never_a_304_it_did_not_give()
    {
        var answer = Decide(Conditions(prefer: true, sequence: "1747b0d900000002"), verdict: null);

        Assert.Equal((200, MirrorEffect.Record), (answer.StatusCode, answer.Mirror));
    }

    [Fact]
    public void Fig10_an_unconditional_get_sends_and_records_and_only_a_mirror_client_gets_the_sequence()
    {
        var plain = Decide(ItemConditions.None);
        var echoing = Decide(Conditions(sequence: "1747b0d900000002"));
        var badEcho = Conditions(sequence: "not-a-sequence");

        Assert.Equal(new ItemAnswer(false, ItemAnswerBasis.Unconditional, false, MirrorEffect.Record, null, false), plain);
        Assert.True(echoing.SendsSequence);
        Assert.Equal((null, true), (badEcho.EchoedSequence, badEcho.SentSequence)); // took part, but names no state
        Assert.True(Decide(badEcho).SendsSequence);
    }

    [Fact]
    public void Fig10_a_verdict_is_ignored_when_the_request_does_not_prefer_the_mirror()
    {
        var answer = Decide(Conditions(sequence: "1747b0d900000002"), new MirrorDecision(MirrorDecisionReason.Matched, Sequence));

        Assert.Equal((200, false), (answer.StatusCode, answer.PreferenceApplied));
    }
}
