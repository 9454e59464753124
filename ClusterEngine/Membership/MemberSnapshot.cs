namespace ClusterEngine.Membership;

/// <summary>
/// An immutable picture of the members one node knows, by internal index: what the placement and serving decisions
/// read (patent Fig. 4 admission, Fig. 5 alternate choice, Fig. 6 step 640 availability). Rebuilt by its
/// <see cref="MemberTable"/> under the decision lock after every member change (O(members)), read by anyone without it:
/// the request path routes a known client from this and one assignment lookup, taking no lock.
/// </summary>
public sealed class MemberSnapshot
{
    private readonly Dictionary<string, int> _indexById;
    private readonly MemberFacts[] _byIndex;
    private readonly int[] _ordered;
    private readonly int[] _eligible;
    private readonly string[] _upNodeIds;

    internal MemberSnapshot(long version, MemberFacts[] byIndex, int[] ordered, int[] eligible)
    {
        Version = version;
        _byIndex = byIndex;
        _ordered = ordered;
        _eligible = eligible;
        _indexById = new Dictionary<string, int>(byIndex.Length, StringComparer.Ordinal);
        for (var i = 0; i < byIndex.Length; i++)
        {
            _indexById[byIndex[i].NodeId] = i;
        }

        _upNodeIds = [.. ordered.Where(i => byIndex[i] is { Known: true, State: NodeState.Up }).Select(i => byIndex[i].NodeId)];
    }

    /// <summary>The member table's change counter when this picture was taken.</summary>
    public long Version { get; }

    /// <summary>The liveness state of <paramref name="nodeId"/>, or null when it is not a known member.</summary>
    /// <param name="nodeId">The node.</param>
    public NodeState? StateOf(string nodeId) => TryGetMember(nodeId, out var i) ? _byIndex[i].State : null;

    /// <summary>The mode of <paramref name="nodeId"/>, or null when it is not a known member.</summary>
    /// <param name="nodeId">The node.</param>
    public NodeMode? ModeOf(string nodeId) => TryGetMember(nodeId, out var i) ? _byIndex[i].Mode : null;

    /// <summary>The URL of <paramref name="nodeId"/>, or null when it is not a known member.</summary>
    /// <param name="nodeId">The node.</param>
    public string? UrlOf(string nodeId) => TryGetMember(nodeId, out var i) ? _byIndex[i].Url : null;

    /// <summary>
    /// The ids of the known members that are <c>Up</c>, in membership order: the candidates for a client id's claim holders
    /// (<see cref="Placement.ClaimOwnership"/>), read per announce without rebuilding a <see cref="ClusterSnapshot"/>.
    /// </summary>
    public IReadOnlyList<string> UpNodeIds => _upNodeIds;

    private bool TryGetMember(string nodeId, out int index) => _indexById.TryGetValue(nodeId, out index) && _byIndex[index].Known;

    /// <summary>Registered node indices (known members and ids only seen in deltas).</summary>
    internal int Count => _byIndex.Length;

    /// <summary>Known members in membership order (indices).</summary>
    internal ReadOnlySpan<int> Ordered => _ordered;

    /// <summary>The first available member in membership order (Fig. 6, step 660), or -1: the node that re-places clients nobody else can take.</summary>
    internal int FirstAvailable()
    {
        foreach (var i in _ordered)
        {
            if (IsAvailable(i))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Eligible members (<c>Up</c> and <c>Active</c>) in membership order (indices): offered new clients, chosen as alternates.</summary>
    internal ReadOnlySpan<int> Eligible => _eligible;

    /// <summary>The facts of the member at <paramref name="index"/>.</summary>
    internal ref readonly MemberFacts this[int index] => ref _byIndex[index];

    /// <summary>Node id by index.</summary>
    internal string NodeId(int index) => _byIndex[index].NodeId;

    /// <summary>The index of <paramref name="nodeId"/>, if registered.</summary>
    internal bool TryGetIndex(string nodeId, out int index) => _indexById.TryGetValue(nodeId, out index);

    /// <summary>
    /// Patent Fig. 6, steps 640/660: the member serves requests — reachable (<c>Up</c>, or <c>Suspect</c> pending a
    /// re-check), <c>Active</c>, and below the busy threshold of its concurrent-request limit.
    /// </summary>
    internal bool IsAvailable(int index) => (uint)index < (uint)_byIndex.Length && _byIndex[index].Available;

    /// <summary>Patent Fig. 6, step 640, for a client's current primary: available, or leaving and not yet handed over.</summary>
    /// <param name="index">The node's internal index.</param>
    internal bool IsServing(int index) => (uint)index < (uint)_byIndex.Length && _byIndex[index].Serving;

    /// <summary>
    /// Patent Fig. 6, step 640, with Fig. 7: the member reports itself <c>Joining</c> (catching up after a start, a thaw or a
    /// re-add) and is <c>Active</c>, so it will serve its clients in a moment; a request for one of them waits for it
    /// rather than taking the client over.
    /// </summary>
    /// <param name="index">The node's internal index.</param>
    internal bool IsJoining(int index) =>
        (uint)index < (uint)_byIndex.Length && _byIndex[index] is { Known: true, State: NodeState.Joining, Mode: NodeMode.Active };
}

/// <summary>One member's facts in a <see cref="MemberSnapshot"/>.</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Known">A member (false for an id only seen in deltas).</param>
/// <param name="Url">Its URL.</param>
/// <param name="State">Liveness state.</param>
/// <param name="Mode">Active or in maintenance.</param>
/// <param name="Capacity">Clients it may serve as primary.</param>
/// <param name="AdmitLimit"><c>AdmissionThreshold × Capacity</c> (clients, fractional).</param>
/// <param name="Available">Can take a client over now (Fig. 6, step 660).</param>
/// <param name="Serving">Keeps serving its own clients as their primary (Fig. 6, step 640: available, or leaving and not yet handed over).</param>
/// <param name="Zone">Failure zone (<c>Cluster:Zone</c>; empty for none): the <see cref="Placement.ZoneRule"/> keeps an alternate out of its primary's zone.</param>
internal readonly record struct MemberFacts(string NodeId, bool Known, string Url, NodeState State, NodeMode Mode, int Capacity, double AdmitLimit, bool Available,
    bool Serving, string Zone = "");
