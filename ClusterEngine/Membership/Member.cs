namespace ClusterEngine.Membership;

/// <summary>Mutable per-node record inside a <see cref="MemberTable"/>; guarded by the owning state's lock.</summary>
internal sealed class Member(int index, string nodeId)
{
    public int Index { get; } = index;
    public string NodeId { get; } = nodeId;
    public bool Known { get; set; }
    public string Url { get; set; } = "";
    public string Name { get; set; } = nodeId;
    public int Capacity { get; set; }
    public NodeMode Mode { get; set; }
    public NodeState State { get; set; } = NodeState.Joining;
    public int InFlight { get; set; }
    public int MaxConcurrentRequests { get; set; } = 1000;
    public long Incarnation { get; set; }
    public long Sequence { get; set; }
    public long Order { get; set; }
    public string Zone { get; set; } = "";

    /// <summary>Admission limit <c>AdmissionThreshold × Capacity</c> (clients, fractional).</summary>
    public double AdmitLimit { get; set; }

    public bool IsEligible => Known && State == NodeState.Up && Mode == NodeMode.Active;
}
