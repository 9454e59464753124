namespace ClusterEngine.Mirroring;

/// <summary>Outcome of <see cref="CacheMirror.Merge"/> on the alternate.</summary>
public enum MergeResult
{
    /// <summary>The snapshot was applied; the mirror is now at its sequence.</summary>
    Applied = 0,

    /// <summary>The mirror already is at the snapshot's sequence (a repeated sync): nothing changed.</summary>
    AlreadyCurrent = 1,

    /// <summary>The mirror is already past the snapshot's sequence (a late sync): nothing changed.</summary>
    Stale = 2,

    /// <summary>A delta whose base is not this mirror's sequence: nothing changed; send a full snapshot.</summary>
    NeedsFullSync = 3,
}
