using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace ClusterEngine.Membership;

/// <summary>
/// The gossiped member list (<c>Members</c>): per node the record with the highest (version, deciding node id) wins, so
/// every node ends with the same ordered list whatever the order of delivery. Versions are stamped by the membership
/// authority alone (docs/recovery.md); the list version is the highest seen, so a new authority continues from it.
/// Versions are hybrid clock counters (<see cref="HybridClock"/>), so a change stamped later in real time outranks one a
/// node that was away stamped earlier. Thread-safe. Changes are applied and published by the <see cref="MembershipAgent"/>.
/// </summary>
/// <param name="time">The wall clock of the versions; the system clock when null.</param>
public sealed class MemberList(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
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

    /// <summary>
    /// A 64-bit digest of the (node id, version, deciding node) triples: equal lists have equal digests on every node
    /// (XxHash3, not the process-randomised <see cref="HashCode"/>), so a mismatch in a heartbeat means the lists differ.
    /// </summary>
    public long Digest
    {
        get
        {
            lock (_gate)
            {
                var digest = 0UL;
                foreach (var m in _members.Values)
                {
                    var text = string.Create(CultureInfo.InvariantCulture, $"{m.NodeId}\n{m.Version}\n{m.VersionNodeId}");
                    digest ^= XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(text));
                }

                return (long)digest;
            }
        }
    }

    /// <summary>The list version: the highest record version seen or stamped (the membership authority stamps the next one).</summary>
    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _clock;
            }
        }
    }

    /// <summary>
    /// Stamps a change with the next list version, decided by <paramref name="byNodeId"/>, and merges it: at least the
    /// wall time and one past the highest version seen, the record's current one and <paramref name="record"/>'s own (a node added from a cluster of
    /// its own may carry a higher version of its record than this list has seen).
    /// </summary>
    public MemberRecord Update(MemberRecord record, string byNodeId)
    {
        var stamped = Stamp(record, byNodeId);
        Merge([stamped]);
        return stamped;
    }

    /// <summary>
    /// As <see cref="Update"/>, without merging: the stamped record, which a later <see cref="Merge"/> puts in the list (a
    /// removal waits for the removed node's confirmation). The list's clock moves past it, so later stamps are newer.
    /// </summary>
    public MemberRecord Stamp(MemberRecord record, string byNodeId)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            var current = _members.GetValueOrDefault(record.NodeId)?.Version ?? 0;
            _clock = HybridClock.Next(Math.Max(_clock, Math.Max(current, record.Version)), _time.GetUtcNow());
            return record with { Version = _clock, VersionNodeId = byNodeId };
        }
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
