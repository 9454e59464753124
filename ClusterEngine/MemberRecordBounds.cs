using ClusterEngine.Membership;

namespace ClusterEngine;

/// <summary>
/// Checks a member record at the boundary where it enters a node — read from the node's database or gossiped by a peer
/// (<c>Members</c>, <c>Hello</c>) — so that a bad value can neither stop a start nor crash the receiver (docs/identity.md, "Operator input"):
/// a capacity outside 1 … <see cref="NodeCapacity.Max"/> is clamped and an undefined mode becomes
/// <see cref="NodeMode.Active"/> (each with a warning for the caller to log); a record without a valid node id or an
/// http(s) URL, or with a version outside 0 … <see cref="HybridClock.Max"/>, is refused. Pure: no logging, no state.
/// </summary>
public static class MemberRecordBounds
{
    /// <summary>The record as it may be applied, or null when it must be refused.</summary>
    /// <param name="record">The record as read or received.</param>
    /// <param name="problem">What was wrong (clamped or refused), for the caller's warning; null when nothing was.</param>
    public static MemberRecord? Check(MemberRecord? record, out string? problem)
    {
        problem = null;
        if (record is null)
        {
            problem = "an empty member record";
            return null;
        }

        if (record.NodeId is null || !ClusterOptionsValidator.NodeIdPattern().IsMatch(record.NodeId))
        {
            problem = "a member record without a valid node id";
            return null;
        }

        if (!ClusterOptionsValidator.IsNodeUrl(record.Url) || record.VersionNodeId is null)
        {
            problem = $"the member record of {record.NodeId} has no http(s) URL or no version";
            return null;
        }

        if (record.Version is < 0 or > HybridClock.Max)
        {
            problem = $"the member record of {record.NodeId} has version {record.Version}, outside 0-{HybridClock.Max}";
            return null;
        }

        var problems = new List<string>(2);
        var checkedRecord = record;
        if (!NodeCapacity.IsValid(record.Capacity))
        {
            checkedRecord = checkedRecord with { Capacity = NodeCapacity.Clamp(record.Capacity) };
            problems.Add($"capacity {record.Capacity} of {record.NodeId} is outside 1-{NodeCapacity.Max}: using {checkedRecord.Capacity}");
        }

        if (!Enum.IsDefined(record.Mode))
        {
            checkedRecord = checkedRecord with { Mode = NodeMode.Active };
            problems.Add($"mode {(int)record.Mode} of {record.NodeId} is not a mode: using Active");
        }

        if (string.IsNullOrEmpty(record.Name) || record.Name.Length > 64)
        {
            checkedRecord = checkedRecord with { Name = record.NodeId };
            problems.Add($"the name of {record.NodeId} is empty or longer than 64 characters: using the node id");
        }

        problem = problems.Count == 0 ? null : string.Join("; ", problems);
        return checkedRecord;
    }
}
