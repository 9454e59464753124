using ClusterPortal.Client.Contract;

namespace ClusterEngine.Mirroring;

/// <summary>
/// "Use your cached copy" or send the item: the one decision for every item request (patent Fig. 9, steps 920–950;
/// Fig. 10, steps 1030–1070), a pure function of the request's <see cref="ItemConditions"/>, the item's current
/// validator and the mirror's verdict.
/// </summary>
/// <remarks>
/// <para>Order (RFC 9110 §13.2.2): <c>If-None-Match</c> (§13.1.2, weak comparison, <c>*</c>) decides when present;
/// else, with <c>Prefer: cache-mirror</c>, the mirror (<see cref="CacheMirror.Decide"/>); else the item is sent. What
/// the client sends always wins over the mirror. A HEAD gets the status a GET would get.</para>
/// <para>Never a wrong 304: a 304 names a version — the tag the client sent, or the mirror's record for the sequence
/// the client echoed — and the mirror records only what an answer shows the client holds, the bytes of a 200 or the
/// tag it named itself. An answer that shows nothing (a HEAD, a 304 on <c>*</c>) leaves the mirror alone and carries
/// no sequence, so the client's chain stays where it was.</para>
/// <para><c>If-Modified-Since</c> never gives a 304 (the request is answered as without it; RFC 9110 §13.1.3 makes
/// honouring it a "SHOULD"). An HTTP date has whole seconds and comes from the origin's clock, so it cannot tell
/// apart two versions written in the same second, a file restored with an older time, or one item's copies on nodes
/// whose origins stamped it differently: a device that fetched a version and sent its <c>Last-Modified</c> back
/// after a second write in the same second was told to keep the old bytes. Every item answer carries an
/// <c>ETag</c>; clients validate with it (docs/architecture.md §5).</para>
/// <para>Deltas (RFC 9842; <c>docs/deltas.md</c>): a 200 (not a HEAD) whose request accepts <c>dcz</c> may be sent as
/// a delta against a version the client holds — the one its <c>Available-Dictionary</c> names, else, for a
/// <c>Prefer: cache-mirror</c> request whose echoed sequence the mirror trusts, the version the mirror records
/// (<see cref="ItemAnswer.Delta"/>). A delta changes nothing else: a 304 still wins, the mirror records the same.
/// Every answer to a request that offered <c>dcz</c> — 200, 304 or HEAD — says it varies with the delta fields
/// (<see cref="ItemAnswer.VariesByDictionary"/>; a 304 carries the <c>Vary</c> its 200 would, RFC 9110 §15.4.5).</para>
/// </remarks>
public static class ItemAnswerRule
{
    /// <summary>Whether <see cref="Decide"/> needs the mirror's verdict: <c>Prefer: cache-mirror</c> and no other condition answers first.</summary>
    /// <param name="conditions">The request's conditions.</param>
    /// <returns>True when the host should ask the mirror (<see cref="CacheMirror.Decide"/>) before deciding.</returns>
    public static bool ConsultsMirror(ItemConditions conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        return conditions.PreferMirror && conditions.IfNoneMatch is null;
    }

    /// <summary>Decides the answer.</summary>
    /// <param name="conditions">The request's conditions.</param>
    /// <param name="currentValidator">The item's current CRC-64 validator (<see cref="ItemValidator"/>).</param>
    /// <param name="verdict">The mirror's verdict when <see cref="ConsultsMirror"/> said so; null otherwise, or when the
    /// mirror could not be asked (then the item is sent: never a 304 the mirror did not give).</param>
    /// <returns>The answer.</returns>
    public static ItemAnswer Decide(ItemConditions conditions, ulong currentValidator, MirrorDecision? verdict)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        if (conditions.IfNoneMatch is { } tags)
        {
            // §13.1.2: a tag of the item (weak comparison) is the client's own claim to hold it.
            if (tags.Any(tag => !tag.IsAny && ItemValidator.IsETagOf(tag.Tag, currentValidator)))
            {
                return Answer(conditions, true, ItemAnswerBasis.IfNoneMatch, MirrorEffect.Record);
            }

            return tags.Any(tag => tag.IsAny)
                ? Answer(conditions, true, ItemAnswerBasis.IfNoneMatchAny, MirrorEffect.None)
                : WithDelta(conditions, Answer(conditions, false, ItemAnswerBasis.IfNoneMatch, MirrorEffect.Record), null);
        }

        if (conditions.PreferMirror)
        {
            return verdict is { UseCachedCopy: true } matched
                ? Answer(conditions, true, ItemAnswerBasis.Mirror, MirrorEffect.Confirm) with { ConfirmedSequence = conditions.IsHead ? null : matched.Sequence }
                : WithDelta(conditions, Answer(conditions, false, ItemAnswerBasis.Mirror, MirrorEffect.Record), verdict?.HeldValidator);
        }

        return WithDelta(conditions, Answer(conditions, false, ItemAnswerBasis.Unconditional, MirrorEffect.Record), null);
    }

    /// <summary>A 200 to a request that accepts <c>dcz</c>: the version to encode against, the client's named dictionary first.</summary>
    private static ItemAnswer WithDelta(ItemConditions conditions, ItemAnswer answer, ulong? mirrorVersion)
    {
        if (!conditions.AcceptsDcz || conditions.IsHead)
        {
            return answer;
        }

        var delta = conditions.AvailableDictionary is { } hash ? DeltaBase.Dictionary(hash)
            : mirrorVersion is { } validator ? DeltaBase.MirrorVersion(validator)
            : null;
        return answer with { Delta = delta };
    }

    private static ItemAnswer Answer(ItemConditions conditions, bool notModified, ItemAnswerBasis basis, MirrorEffect effect)
    {
        // A HEAD carries no bytes: whatever the status, it shows nothing about what the client holds.
        var mirror = conditions.IsHead ? MirrorEffect.None : effect;
        return new ItemAnswer(notModified, basis, basis == ItemAnswerBasis.Mirror, mirror, null,
            conditions.UsesMirror && mirror != MirrorEffect.None) { VariesByDictionary = conditions.AcceptsDcz };
    }
}
