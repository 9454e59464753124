namespace ClusterEngine.Placement;

/// <summary>
/// The zone rule of the alternate choice (patent Fig. 5, step 520, made aware of where nodes run; docs/network.md
/// "Zones"): a client's alternate is never in its primary's failure zone (<c>Cluster:Zone</c>) while another zone has
/// an eligible node, so the loss of one zone — a rack, a host, an availability zone — never takes a client's primary and
/// alternate together. Nodes without a zone share the empty zone, so a cluster without zones is unaffected. Pure.
/// </summary>
public static class ZoneRule
{
    /// <summary>
    /// Whether a node in <paramref name="candidateZone"/> may be the alternate of a client whose primary is in
    /// <paramref name="primaryZone"/>, when <paramref name="otherZoneEligible"/> says whether any eligible candidate
    /// (not the primary, not excluded) is in a zone other than the primary's.
    /// </summary>
    public static bool Admits(string primaryZone, string candidateZone, bool otherZoneEligible) =>
        !otherZoneEligible || !SameZone(primaryZone, candidateZone);

    /// <summary>Zones compare by ordinal string equality; null counts as the empty zone.</summary>
    public static bool SameZone(string? a, string? b) => string.Equals(a ?? "", b ?? "", StringComparison.Ordinal);
}
