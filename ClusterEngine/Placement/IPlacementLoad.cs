namespace ClusterEngine.Placement;

/// <summary>
/// The role counts the placement decisions weigh (patent Fig. 4 load ratio, Fig. 5 spreading), by member index. The
/// assignment table keeps them incrementally; tests give their own.
/// </summary>
internal interface IPlacementLoad
{
    /// <summary>Clients whose primary is the node at <paramref name="node"/>.</summary>
    int PrimaryCount(int node);

    /// <summary>Clients whose alternate is the node at <paramref name="node"/>.</summary>
    int AlternateCount(int node);

    /// <summary>Clients whose primary is <paramref name="primary"/> and alternate <paramref name="alternate"/>.</summary>
    int PairCount(int primary, int alternate);
}
