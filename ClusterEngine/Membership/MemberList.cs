namespace ClusterEngine.Membership;

/// <summary>
/// The gossiped member list (DESIGN.md §7 <c>Members</c>): per node the record with the highest
/// (version, deciding node id) wins, so every node ends with the same ordered list whatever the
/// order of delivery. Thread-safe. Changes are applied and published by the <see cref="MembershipAgent"/>.
/// </summary>
public sealed class MemberList
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, MemberRecord> _members = new(StringComparer.Ordinal);
    private long _clock;

    /// <summary>All records (removed ones included), in membership order.</summary>
    public IReadOnlyList<MemberRecord> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _members.Values.OrderBy(m => m.Order).ThenBy(m => m.NodeId, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The record of <paramref name="nodeId"/>, or null.</summary>
    public MemberRecord? Get(string nodeId)
    {
        lock (_gate)
        {
            return _members.GetValueOrDefault(nodeId);
        }
    }

    /// <summary>Order key for a node joining now: one past the highest.</summary>
    public long NextOrder()
    {
        lock (_gate)
        {
            return _members.Count == 0 ? 0 : _members.Values.Max(m => m.Order) + 1;
        }
    }

    /// <summary>A 64-bit digest of (node id, version) pairs; equal lists have equal digests.</summary>
    public long Digest
    {
        get
        {
            lock (_gate)
            {
                var hash = new HashCode();
                foreach (var m in _members.Values.OrderBy(m => m.NodeId, StringComparer.Ordinal))
                {
                    hash.Add(m.NodeId, StringComparer.Ordinal);
                    hash.Add(m.Version);
                    hash.Add(m.VersionNodeId, StringComparer.Ordinal);
                }

                return hash.ToHashCode();
            }
        }
    }

    /// <summary>Stamps a local change with a fresh version decided by <paramref name="byNodeId"/> and merges it.</summary>
    public MemberRecord Update(MemberRecord record, string byNodeId)
    {
        ArgumentNullException.ThrowIfNull(record);
        MemberRecord stamped;
        lock (_gate)
        {
            var current = _members.GetValueOrDefault(record.NodeId)?.Version ?? 0;
            _clock = Math.Max(_clock, current) + 1;
            stamped = record with { Version = _clock, VersionNodeId = byNodeId };
        }

        Merge([stamped]);
        return stamped;
    }

    /// <summary>Merges gossiped records; returns those that changed this list.</summary>
    public IReadOnlyList<MemberRecord> Merge(IEnumerable<MemberRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var changed = new List<MemberRecord>();
        lock (_gate)
        {
            foreach (var r in records)
            {
                _clock = Math.Max(_clock, r.Version);
                if (!_members.TryGetValue(r.NodeId, out var current) || Newer(r, current))
                {
                    _members[r.NodeId] = r;
                    changed.Add(r);
                }
            }
        }

        return changed;
    }

    private static bool Newer(MemberRecord a, MemberRecord b) =>
        a.Version != b.Version ? a.Version > b.Version : string.CompareOrdinal(a.VersionNodeId, b.VersionNodeId) > 0;
}
