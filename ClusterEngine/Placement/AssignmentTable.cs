using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// All assignments one node knows, with per-node primary and alternate counts and the
/// primary×alternate pair counts kept incrementally on every change (never by scanning; the per-node arrays grow with
/// the highest node index used). Lookup by client id is O(1).
/// Writers are serialised by <see cref="ClusterState"/>'s decision lock; <see cref="TryGet"/>, <see cref="TryGetRaw"/>
/// and <see cref="All"/> may be called without it (a concurrent dictionary: a reader sees a whole slot, old or new).
/// The counts are read under the lock.
/// Memory: one 20-byte slot in a dictionary node plus the id string per client (about 130 bytes with a 16-character id).
/// </summary>
internal sealed class AssignmentTable : IPlacementLoad
{
    private readonly MemberTable _view;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AssignmentSlot> _slots;
    private readonly HashSet<string> _withoutAlternate = new(StringComparer.Ordinal);
    private int[] _primaryCount = new int[8];
    private int[] _alternateCount = new int[8];
    private int[,] _pairs = new int[8, 8];

    private readonly TimeProvider _time;

    public AssignmentTable(MemberTable view, TimeProvider time, int expectedClients = 0)
    {
        _view = view;
        _time = time;
        // One writer at a time (the decision lock): one stripe is enough, and the smallest.
        _slots = new(concurrencyLevel: 1, Math.Max(expectedClients, 31), StringComparer.Ordinal);
    }

    /// <summary>Grows with every stored change (not with <see cref="Touch"/>); read without the lock.</summary>
    public long Version => Volatile.Read(ref _version);

    private long _version;

    /// <summary>Lamport clock: the highest counter seen or issued.</summary>
    public long Clock { get; private set; }

    /// <summary>Clients with a live (not removed) assignment.</summary>
    public int ClientCount => Volatile.Read(ref _clientCount);

    private int _clientCount;

    /// <summary>Clients that currently have no alternate.</summary>
    public IReadOnlyCollection<string> WithoutAlternate => _withoutAlternate;

    /// <summary>Clients whose primary is the node at <paramref name="node"/> (0 for a node index no slot has used yet).</summary>
    public int PrimaryCount(int node) => node < _primaryCount.Length ? _primaryCount[node] : 0;

    /// <summary>Clients whose alternate is the node at <paramref name="node"/>.</summary>
    public int AlternateCount(int node) => node < _alternateCount.Length ? _alternateCount[node] : 0;

    /// <summary>Clients whose primary is <paramref name="primary"/> and alternate <paramref name="alternate"/>.</summary>
    public int PairCount(int primary, int alternate) => primary < _pairs.GetLength(0) && alternate < _pairs.GetLength(0) ? _pairs[primary, alternate] : 0;

    /// <summary>The live assignment of <paramref name="clientId"/>, if any (tombstones are not returned).</summary>
    public bool TryGet(string clientId, out AssignmentSlot slot) =>
        _slots.TryGetValue(clientId, out slot) && !slot.IsRemoved;

    /// <summary>The stored slot including tombstones.</summary>
    public bool TryGetRaw(string clientId, out AssignmentSlot slot) => _slots.TryGetValue(clientId, out slot);

    /// <summary>A counter newer than both the clock and <paramref name="current"/>, for a local decision.</summary>
    public long NextCounter(long current) => Clock = Math.Max(Clock, current) + 1;

    /// <summary>Compares slot versions: counter first, then the deciding node's id (ordinal).</summary>
    public int CompareVersions(in AssignmentSlot a, in AssignmentSlot b)
    {
        var byCounter = a.Counter.CompareTo(b.Counter);
        return byCounter != 0 ? byCounter : string.CompareOrdinal(_view[a.Origin].NodeId, _view[b.Origin].NodeId);
    }

    /// <summary>Stores <paramref name="next"/> when it is newer than what is held (last writer wins).</summary>
    /// <returns>True when the table changed.</returns>
    public bool Merge(string clientId, AssignmentSlot next)
    {
        if (next.Counter > Clock)
        {
            Clock = next.Counter;
            Volatile.Write(ref _version, _version + 1);
        }

        if (_slots.TryGetValue(clientId, out var current) && CompareVersions(next, current) <= 0)
        {
            return false;
        }

        Set(clientId, next);
        return true;
    }

    /// <summary>Stores <paramref name="next"/> unconditionally and moves the counts from the old slot to the new.</summary>
    public void Set(string clientId, AssignmentSlot next)
    {
        Clock = Math.Max(Clock, next.Counter);
        if (_slots.TryGetValue(clientId, out var slot))
        {
            Count(clientId, slot, -1);
            if (next.LastSeen == 0)
            {
                next = next with { LastSeen = slot.LastSeen };
            }
        }
        else if (next.LastSeen == 0)
        {
            next = next with { LastSeen = AssignmentSlot.ToLastSeen(_time.GetUtcNow()) };
        }

        _slots[clientId] = next;
        Count(clientId, next, +1);
        Volatile.Write(ref _version, _version + 1);
    }

    /// <summary>Records that the client was seen (seconds since <see cref="AssignmentSlot.Epoch"/>); no version change.</summary>
    public void Touch(string clientId, uint lastSeen)
    {
        if (_slots.TryGetValue(clientId, out var slot) && !slot.IsRemoved && slot.LastSeen != lastSeen)
        {
            _slots[clientId] = slot with { LastSeen = lastSeen };
        }
    }

    /// <summary>All stored slots, tombstones included, for rare whole-table passes (node failure, snapshots).</summary>
    public IEnumerable<KeyValuePair<string, AssignmentSlot>> All => _slots;

    private void Count(string clientId, in AssignmentSlot slot, int sign)
    {
        if (slot.IsRemoved)
        {
            return;
        }

        Volatile.Write(ref _clientCount, _clientCount + sign);
        Grow(Math.Max(slot.Primary, slot.Alternate));
        _primaryCount[slot.Primary] += sign;
        if (slot.HasAlternate)
        {
            _alternateCount[slot.Alternate] += sign;
            _pairs[slot.Primary, slot.Alternate] += sign;
        }
        else if (sign > 0)
        {
            _withoutAlternate.Add(clientId);
        }
        else
        {
            _withoutAlternate.Remove(clientId);
        }
    }

    private void Grow(int index)
    {
        if (index < _primaryCount.Length)
        {
            return;
        }

        var size = Math.Max(index + 1, _primaryCount.Length * 2);
        Array.Resize(ref _primaryCount, size);
        Array.Resize(ref _alternateCount, size);
        var pairs = new int[size, size];
        for (var p = 0; p < _pairs.GetLength(0); p++)
        {
            for (var a = 0; a < _pairs.GetLength(1); a++)
            {
                pairs[p, a] = _pairs[p, a];
            }
        }

        _pairs = pairs;
    }
}
