namespace ClusterEngine.Mirroring;

/// <summary>Why <see cref="CacheMirror.Decide"/> decided as it did (for metrics, logs and tests).</summary>
public enum MirrorDecisionReason
{
    /// <summary>The mirror is trusted and holds the current validator: use the cached copy (patent Fig. 9 step 930).</summary>
    Matched = 0,

    /// <summary>The node has no mirror of this client (patent: "does not have the client's cache in its memory").</summary>
    UnknownClient = 1,

    /// <summary>The echoed sequence is missing or differs from the mirror's: the mirror may not vouch for the client.</summary>
    SequenceMismatch = 2,

    /// <summary>The mirror is trusted but holds no entry for the item (never fetched, evicted, or dropped).</summary>
    NotInMirror = 3,

    /// <summary>The client holds another version of the item (patent Fig. 9 step 940).</summary>
    Changed = 4,
}
