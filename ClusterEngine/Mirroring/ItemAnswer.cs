namespace ClusterEngine.Mirroring;

/// <summary>
/// The decision for one item request (<see cref="ItemAnswerRule.Decide"/>): send the item (200) or "use your cached
/// copy" (304, patent Fig. 9 step 930, Fig. 10 step 1050), and what the answer does to the client's mirror.
/// </summary>
/// <param name="NotModified">True: answer 304 without a body; false: answer 200 with the item.</param>
/// <param name="Basis">Which condition decided.</param>
/// <param name="PreferenceApplied">Whether the mirror was asked (<c>Preference-Applied: cache-mirror</c>).</param>
/// <param name="Mirror">What the host does to the client's mirror before answering.</param>
/// <param name="ConfirmedSequence">With <see cref="MirrorEffect.Confirm"/>: the mirror's sequence to send (the one the client echoed); otherwise null.</param>
/// <param name="SendsSequence">Whether the answer carries <c>X-Mirror-Sequence</c>: the recorded one, or <paramref name="ConfirmedSequence"/>.</param>
public readonly record struct ItemAnswer(bool NotModified, ItemAnswerBasis Basis, bool PreferenceApplied, MirrorEffect Mirror,
    ulong? ConfirmedSequence, bool SendsSequence)
{
    /// <summary>
    /// For a 200 whose request accepts <c>dcz</c> and names a version the client holds: the version to send the item
    /// as a delta against (RFC 9842), when the host still has it and the delta is smaller; null: the item itself. A
    /// delta is another form of the same 200: the mirror records the same, the ETag names the same bytes.
    /// </summary>
    public DeltaBase? Delta { get; init; }

    /// <summary>
    /// Whether the request offered <c>dcz</c>, so the answer — a 200, a HEAD or a 304 — carries <c>Vary: accept-encoding,
    /// available-dictionary</c> (RFC 9842 §6.2; a 304 generates the <c>Vary</c> its 200 would, RFC 9110 §15.4.5).
    /// </summary>
    public bool VariesByDictionary { get; init; }

    /// <summary>The HTTP status: 304 or 200.</summary>
    public int StatusCode => NotModified ? 304 : 200;
}

/// <summary>Which condition of the request decided an <see cref="ItemAnswer"/> (RFC 9110 §13.2.2 order, then the mirror).</summary>
public enum ItemAnswerBasis
{
    /// <summary>No condition applied: send the item.</summary>
    Unconditional = 0,

    /// <summary><c>If-None-Match</c> named tags: 304 when one matches the item's validator by weak comparison.</summary>
    IfNoneMatch = 1,

    /// <summary><c>If-None-Match: *</c> with no tag of the item: 304, the item exists.</summary>
    IfNoneMatchAny = 2,

    /// <summary><c>Prefer: cache-mirror</c>: the mirror's verdict for the echoed sequence (patent Fig. 9 step 920).</summary>
    Mirror = 4,
}

/// <summary>What an answer does to the client's mirror (patent Fig. 9 step 950, Fig. 10 step 1070).</summary>
public enum MirrorEffect
{
    /// <summary>
    /// Nothing, and the answer carries no sequence: it does not show which version the client holds (a HEAD carries
    /// no bytes; <c>*</c> names no version).
    /// </summary>
    None = 0,

    /// <summary>Record that the client now holds the item's current version (a 200 with its bytes, or a 304 on the tag it named).</summary>
    Record = 1,

    /// <summary>The mirror vouched for the client's copy (a mirror 304): nothing changes; the answer carries the mirror's sequence.</summary>
    Confirm = 2,
}
