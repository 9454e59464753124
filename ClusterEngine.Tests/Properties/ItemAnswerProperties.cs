using ClusterEngine.Mirroring;
using ClusterPortal.Client.Contract;
using FsCheck.Xunit;

namespace ClusterEngine.Tests.Properties;

/// <summary>
/// "Never a wrong 304" over random requests: every 304 has a reason the client gave or the mirror vouched for, the
/// mirror records only what an answer shows the client holds, and HEAD answers as GET would.
/// </summary>
public sealed class ItemAnswerProperties
{
    private const ulong Current = 0x81b69dda2f09a3e5;
    private static readonly string[] s_tags = ["\"81b69dda2f09a3e5\"", "W/\"81b69dda2f09a3e5\"", "\"0000000000000000\"", "*", "junk", "\"81B69DDA2F09A3E5\""];

    [Property(MaxTest = 500)]
    public void Every_304_has_a_reason_and_the_mirror_records_only_what_was_shown(byte[] tagCodes, bool prefer, bool echo, byte verdictCode)
    {
        var ifNoneMatch = tagCodes.Length == 0 ? [] : new[] { string.Join(", ", tagCodes.Take(4).Select(c => s_tags[c % s_tags.Length])) };
        var verdict = new MirrorDecision((MirrorDecisionReason)(verdictCode % 5), 0x1747b0d900000002);
        ItemConditions Conditions(bool head) => ItemConditions.FromHeaders(head, ifNoneMatch, prefer ? ["cache-mirror"] : [],
            echo ? ["1747b0d900000002"] : []);

        var get = ItemAnswerRule.Decide(Conditions(false), Current, verdict);
        var head = ItemAnswerRule.Decide(Conditions(true), Current, verdict);
        var tags = Conditions(false).IfNoneMatch;

        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal(MirrorEffect.None, head.Mirror);
        if (get.NotModified)
        {
            var reason = get.Basis switch
            {
                ItemAnswerBasis.IfNoneMatch => tags!.Any(t => t.Tag == "\"81b69dda2f09a3e5\""),
                ItemAnswerBasis.IfNoneMatchAny => tags!.Contains(EntityTag.Any),
                ItemAnswerBasis.Mirror => prefer && tags is null && verdict.UseCachedCopy,
                _ => false,
            };
            Assert.True(reason, $"304 by {get.Basis} without its reason");
        }

        // Recorded as held: the bytes of a 200, or the tag the client named; confirmed: what the mirror vouched for.
        var effect = !get.NotModified || get.Basis == ItemAnswerBasis.IfNoneMatch ? MirrorEffect.Record
            : get.Basis == ItemAnswerBasis.Mirror ? MirrorEffect.Confirm : MirrorEffect.None;
        Assert.Equal(effect, get.Mirror);
        Assert.Equal(get.SendsSequence, (prefer || echo) && get.Mirror != MirrorEffect.None);
    }
}
