using System.IO.Hashing;
using System.Runtime.InteropServices;
using ClusterEngine.Membership;

namespace ClusterEngine.Placement;

/// <summary>
/// All assignments one node knows, with per-node primary and alternate counts and the
/// primary×alternate pair counts kept incrementally on every change (never by scanning; the per-node arrays grow with
/// the highest node index used), and the anti-entropy digest: per bucket of client ids (<see cref="DigestBuckets"/>, by
/// the top byte of the id's XxHash3), the XOR of a 64-bit hash of (client id, version) of every live assignment — two
/// tables that hold the same versions have the same digests, whatever the order they learned them in. Lookup by
/// client id is O(1).
/// Writers are serialised by <see cref="ClusterState"/>'s decision lock; <see cref="TryGet"/>, <see cref="TryGetRaw"/>
/// and <see cref="All"/> may be called without it (a concurrent dictionary: a reader sees a whole slot, old or new).
/// The counts and digests are read under the lock.
/// Memory: one 28-byte slot in a dictionary node plus the id string per client (about 140 bytes with a 16-character id).
/// </summary>
internal sealed class AssignmentTable : IPlacementLoad
{
    private readonly MemberTable _view;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AssignmentSlot> _slots;
    private readonly HashSet<string> _withoutAlternate = new(StringComparer.Ordinal);
    private int[] _primaryCount = new int[8];
    private int[] _alternateCount = new int[8];
    private int[,] _pairs = new int[8, 8];
    private readonly long[] _buckets = new long[DigestBuckets];
    private ulong[] _originHashes = [];

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

    /// <summary>Hybrid logical clock (<see cref="HybridClock"/>): the highest counter seen or issued.</summary>
    public long Clock { get; private set; }

    /// <summary>Clients with a live (not removed) assignment.</summary>
    public int ClientCount => Volatile.Read(ref _clientCount);

    private int _clientCount;

    /// <summary>Buckets of the anti-entropy digest (by the top byte of a client id's hash).</summary>
    public const int DigestBuckets = 256;

    /// <summary>XOR of every bucket digest: equal tables have equal digests.</summary>
    public long Digest { get; private set; }

    /// <summary>A copy of the per-bucket digests.</summary>
    public long[] BucketDigests() => (long[])_buckets.Clone();

    /// <summary>The digest bucket of <paramref name="clientId"/>.</summary>
    public static int BucketOf(string clientId) => (int)(IdHash(clientId) >> 56);

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

    /// <summary>
    /// A counter newer than both the clock and <paramref name="current"/>, and at least the wall time, for a local
    /// decision (<see cref="HybridClock.Next"/>).
    /// </summary>
    public long NextCounter(long current) => Clock = HybridClock.Next(Math.Max(Clock, current), _time.GetUtcNow());

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
        var idHash = IdHash(clientId);
        if (_slots.TryGetValue(clientId, out var slot))
        {
            Count(clientId, slot, -1, idHash);
            if (next.LastSeen == 0)
            {
                // A change of a live assignment keeps when its client was last seen; an id placed anew over its tombstone
                // is seen now — the tombstone's time (an idle removal's) removed the new registration again at the next
                // idle pass (found by an attack: 6 of 6 re-announced ids gone within a second).
                next = next with { LastSeen = slot.IsRemoved && !next.IsRemoved ? AssignmentSlot.ToLastSeen(_time.GetUtcNow()) : slot.LastSeen };
            }
        }
        else if (next.LastSeen == 0)
        {
            next = next with { LastSeen = AssignmentSlot.ToLastSeen(_time.GetUtcNow()) };
        }

        _slots[clientId] = next;
        Count(clientId, next, +1, idHash);
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

    private void Count(string clientId, in AssignmentSlot slot, int sign, ulong idHash)
    {
        if (slot.IsRemoved)
        {
            return;
        }

        var entry = (long)Mix(idHash ^ Mix((ulong)slot.Counter) ^ OriginHash(slot.Origin));
        _buckets[idHash >> 56] ^= entry;
        Digest ^= entry;

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

    private static ulong IdHash(string clientId) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(clientId.AsSpan()));

    /// <summary>The hash of the deciding node's id (cached per node index: indices never change meaning).</summary>
    private ulong OriginHash(short origin)
    {
        if (origin >= _originHashes.Length)
        {
            Array.Resize(ref _originHashes, Math.Max(origin + 1, _originHashes.Length * 2));
        }

        ref var hash = ref _originHashes[origin];
        if (hash == 0)
        {
            hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(_view[origin].NodeId.AsSpan())) | 1;
        }

        return hash;
    }

    /// <summary>The SplitMix64 finaliser: spreads every input bit over the whole word.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
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
