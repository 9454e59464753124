namespace ClusterEngine.Mirroring;

/// <summary>
/// The mirror's answer to "does the client already hold this item?" (patent Fig. 9 step 920).
/// </summary>
/// <param name="Reason">Why; <see cref="MirrorDecisionReason.Matched"/> is the only "use your cached copy".</param>
/// <param name="Sequence">
/// The mirror's current sequence number, to carry on a "use your cached copy" answer; 0 when the node
/// has no mirror of the client. A "send the item" answer carries the sequence returned by <see cref="CacheMirror.Record"/> instead.
/// </param>
public readonly record struct MirrorDecision(MirrorDecisionReason Reason, ulong Sequence)
{
    /// <summary><see langword="true"/>: answer "use your cached copy" (304, patent Fig. 9 step 930); otherwise send the item (step 940).</summary>
    public bool UseCachedCopy => Reason == MirrorDecisionReason.Matched;

    /// <summary>
    /// With <see cref="MirrorDecisionReason.Changed"/>: the validator the trusted mirror records, the version the client
    /// holds (a delta may be sent against it, RFC 9842); otherwise null.
    /// </summary>
    public ulong? HeldValidator { get; init; }
}
