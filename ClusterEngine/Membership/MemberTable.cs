namespace ClusterEngine.Membership;

/// <summary>
/// The members one node knows, in the stable membership order (join order, ties by node id) that
/// every node shares (docs/architecture.md §4; patent Fig. 2, step 200). Not thread-safe: guarded by <see cref="ClusterState"/>.
/// </summary>
internal sealed class MemberTable(double admissionThreshold, double busyThreshold)
{
    private readonly Dictionary<string, int> _indexById = new(StringComparer.Ordinal);
    private readonly List<Member> _members = [];
    private int[] _ordered = [];
    private int[] _eligible = [];

    /// <summary>Number of registered node indices (known members and ids only seen in deltas).</summary>
    public int Count => _members.Count;

    /// <summary>Grows with every change of a member (registration, facts, state, mode, capacity, load); read without the lock.</summary>
    public long Version => Volatile.Read(ref _version);

    private long _version;

    /// <summary>The current immutable picture of the members, for decisions and lock-free readers.</summary>
    public MemberSnapshot Snapshot => _snapshot;

    private volatile MemberSnapshot _snapshot = new(0, [], [], []);

    /// <summary>Records that a member changed and publishes a new <see cref="Snapshot"/> (the owner's lock is held).</summary>
    public void Changed()
    {
        var version = _version + 1;
        var facts = new MemberFacts[_members.Count];
        for (var i = 0; i < facts.Length; i++)
        {
            var m = _members[i];
            facts[i] = new MemberFacts(m.NodeId, m.Known, m.Url, m.State, m.Mode, m.Capacity, m.AdmitLimit, IsAvailable(i), IsServing(i), m.Zone ?? "");
        }

        _snapshot = new MemberSnapshot(version, facts, _ordered, _eligible);
        Volatile.Write(ref _version, version);
    }

    /// <summary>Known members in membership order (indices).</summary>
    public ReadOnlySpan<int> Ordered => _ordered;

    public Member this[int index] => _members[index];

    public bool TryGetIndex(string nodeId, out int index) => _indexById.TryGetValue(nodeId, out index);

    /// <summary>Index of <paramref name="nodeId"/>, registering an unknown (not yet a member) id when needed.</summary>
    public int IndexOf(string nodeId)
    {
        if (_indexById.TryGetValue(nodeId, out var index))
        {
            return index;
        }

        index = _members.Count;
        _members.Add(new Member(index, nodeId));
        _indexById.Add(nodeId, index);
        Changed();
        return index;
    }

    public Member Upsert(NodeInfo info)
    {
        var member = _members[IndexOf(info.NodeId)];
        member.Known = true;
        member.Url = info.Url;
        member.Name = info.Name ?? info.NodeId;
        member.Order = info.Order;
        member.Mode = info.Mode;
        member.State = info.State;
        member.MaxConcurrentRequests = info.MaxConcurrentRequests;
        member.Incarnation = info.Incarnation;
        member.Zone = info.Zone;
        SetCapacity(member, info.Capacity);
        Reorder();
        return member;
    }

    public void SetCapacity(Member member, int capacity)
    {
        member.Capacity = capacity;
        member.AdmitLimit = admissionThreshold * capacity;
    }

    /// <summary>True when the member may be offered new clients or chosen as alternate.</summary>
    public bool IsEligible(int index) => _members[index].IsEligible;

    /// <summary>
    /// Patent Fig. 6, step 660: a node can take a client over (become its primary) when it is reachable (<c>Up</c>, or
    /// <c>Suspect</c> pending a re-check), <c>Active</c>, and below the busy threshold of its concurrent-request limit.
    /// </summary>
    public bool IsAvailable(int index)
    {
        var m = _members[index];
        return m.State is NodeState.Up or NodeState.Suspect && IsActiveAndNotBusy(m);
    }

    /// <summary>
    /// Patent Fig. 6, step 640, for a client's current primary: it keeps serving while it is available or
    /// <c>Leaving</c> (a leaving node serves its clients until it has handed them over, so a peer does not take them
    /// piecemeal on requests while the leave learns which other nodes are leaving too).
    /// </summary>
    public bool IsServing(int index)
    {
        var m = _members[index];
        return m.State is NodeState.Up or NodeState.Suspect or NodeState.Leaving && IsActiveAndNotBusy(m);
    }

    private bool IsActiveAndNotBusy(Member m) =>
        m.Known && m.Mode == NodeMode.Active && m.InFlight < busyThreshold * m.MaxConcurrentRequests;

    /// <summary>Recomputes the ordered and eligible index lists after any membership, state or mode change.</summary>
    public void Reorder()
    {
        _ordered = _members.Where(m => m.Known)
            .OrderBy(m => m.Order).ThenBy(m => m.NodeId, StringComparer.Ordinal)
            .Select(m => m.Index).ToArray();
        _eligible = Array.FindAll(_ordered, i => _members[i].IsEligible);
        Changed();
    }

    /// <summary>Applies <paramref name="change"/> to a known member, then reorders (or only republishes); false for an unknown node.</summary>
    public bool Update(string nodeId, Action<Member> change, bool reorder)
    {
        if (!TryGetIndex(nodeId, out var index) || !_members[index].Known)
        {
            return false;
        }

        change(_members[index]);
        if (reorder)
        {
            Reorder();
        }
        else
        {
            Changed();
        }

        return true;
    }

    /// <summary>Applies a peer's status message when it is newer (incarnation, then sequence) than the last one applied; false otherwise.</summary>
    public bool ApplyStatus(string nodeId, long incarnation, long sequence, int inFlight, int maxConcurrentRequests)
    {
        if (!TryGetIndex(nodeId, out var index) || !_members[index].Known)
        {
            return false;
        }

        var m = _members[index];
        if (incarnation < m.Incarnation || (incarnation == m.Incarnation && sequence <= m.Sequence))
        {
            return false;
        }

        (m.Incarnation, m.Sequence, m.InFlight, m.MaxConcurrentRequests) = (incarnation, sequence, inFlight, maxConcurrentRequests);
        Changed();
        return true;
    }
}
