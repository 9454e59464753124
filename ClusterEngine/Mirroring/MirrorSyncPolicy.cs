namespace ClusterEngine.Mirroring;

/// <summary>When a primary's mirror of a client is copied to the client's alternate (docs/architecture.md §8, <c>Mirror:SyncPolicy</c>).</summary>
public enum MirrorSyncPolicy
{
    /// <summary>When the client logs off (<c>DELETE /api/sessions/{clientId}</c>).</summary>
    OnLogoff = 0,

    /// <summary>After every <see cref="MirrorOptions.SyncEvery"/> transactions of the client (the default).</summary>
    EveryNTransactions = 1,

    /// <summary>Inline: the alternate acknowledges each change before the client gets its answer.</summary>
    EachTransaction = 2,

    /// <summary>Every <see cref="MirrorOptions.SyncInterval"/>, for clients whose mirror changed.</summary>
    Periodic = 3,
}
