using ClusterEngine.Backplane;
using ClusterEngine.Changes;
using ClusterEngine.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>
/// One authority for membership changes (docs/recovery.md, "Membership authority"): the first member in order that is
/// Up (this node only with quorum) decides and stamps the next list version; a claim on a live member's id from another
/// URL is refused and changes nothing; a member that is not alive may move. Peers' URLs here refuse connections at once
/// (port 1), so the mesh never reaches anything.
/// </summary>
public sealed class MembershipAuthorityTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly ClusterOptions _options = new() { Key = "membership-authority-tests-key" };
    private readonly ClusterState _state;
    private readonly MemberList _members = new(new FakeTimeProvider(DateTimeOffset.UnixEpoch)); // versions count on from the highest seen
    private readonly FailureDetector _detector;
    private readonly PeerMesh _mesh;
    private readonly LocalNodeStatus _self;
    private readonly MembershipAuthority _authority;
    private readonly ClusterNode _node;
    private readonly AssignmentReconciler _reconciler;
    private readonly MembershipAgent _agent;

    public MembershipAuthorityTests()
    {
        _state = new ClusterState("n2", _options);
        _state.AddOrUpdateNode(new NodeInfo("n2", "http://127.0.0.1:1", 100, State: NodeState.Joining));
        var node = _node = new ClusterNode(_state, new ClusterChanges());
        var options = Options.Create(_options);
        _detector = new FailureDetector(_time, _options.FailureTimeout);
        _mesh = new PeerMesh(_state, new PeerCredentials(_options.Key!), _detector, options, NullLogger<PeerMesh>.Instance);
        _self = new LocalNodeStatus(node, options, _time, NullLogger<LocalNodeStatus>.Instance);
        var reconciler = _reconciler = new AssignmentReconciler(node, _mesh, new InboundPeers(), _members, _detector, options, _time, NullLogger<AssignmentReconciler>.Instance);
        var agent = _agent = new MembershipAgent(node, _members, _detector, _mesh, _self, reconciler, new SeedResolver(options, new ClusterPortal.Client.SharedAddressResolver()), options, NullLogger<MembershipAgent>.Instance);
        _authority = new MembershipAuthority(agent, _members, node, _self, _detector, _mesh, options, NullLogger<MembershipAuthority>.Instance);
        // Straight into the list and the view (not through the agent, which would open connections to n1 and n3).
        _members.Merge(
        [
            new MemberRecord("n1", "http://127.0.0.1:11", "n1", 100, 0, NodeMode.Active, false, 1, "n1"),
            new MemberRecord("n2", "http://127.0.0.1:1", "n2", 100, 1, NodeMode.Active, false, 2, "n1"),
            new MemberRecord("n3", "http://127.0.0.1:13", "n3", 100, 2, NodeMode.Active, false, 3, "n1"),
        ]);
        foreach (var m in _members.All)
        {
            _state.AddOrUpdateNode(m.ToNodeInfo(NodeState.Joining));
            _detector.Watch(m.NodeId);
        }
    }

    [Fact]
    public void The_first_Up_member_in_order_is_the_authority_and_this_node_only_while_Up_with_quorum()
    {
        Assert.Null(_authority.Current);
        _self.Set(NodeState.Up);
        Assert.True(_authority.IsSelf);
        _state.SetState("n1", NodeState.Up);
        Assert.Equal("n1", _authority.Current);
        _state.SetState("n1", NodeState.Down);
        _self.SetQuorum(false);
        Assert.Null(_authority.Current);
        _state.SetState("n3", NodeState.Up);
        Assert.Equal("n3", _authority.Current);
        Assert.False(_authority.IsSelf);
    }

    [Fact]
    public void A_claim_on_a_live_members_id_from_another_url_is_a_conflict_and_changes_nothing()
    {
        _self.Set(NodeState.Up);
        _detector.Heard("n3", 1, 1, NodeState.Up);
        var version = _members.Version;

        var reply = _authority.OnMemberChange(new MemberChangeRequest(MemberChangeKind.Add, _members.Get("n3")! with { Url = "http://127.0.0.1:99" }));

        Assert.Equal(MemberChangeStatus.Conflict, reply.Status);
        Assert.Contains("http://127.0.0.1:13", reply.Error, StringComparison.Ordinal);
        Assert.Equal(version, _members.Version);
        Assert.Equal("http://127.0.0.1:13", _members.Get("n3")!.Url);
    }

    [Fact]
    public void A_check_changes_nothing_whatever_the_record_it_carries()
    {
        // A node that is not the authority asks with the member as its own list has it, which may be behind: the check
        // must not move, resize or re-stamp the member (an Add or an Update carrying that record could).
        _self.Set(NodeState.Up);
        var version = _members.Version;
        var stale = _members.Get("n3")! with { Url = "http://127.0.0.1:96", Capacity = 7, Mode = NodeMode.Maintenance };

        var live = _authority.OnMemberChange(new MemberChangeRequest(MemberChangeKind.Check, stale));
        var unknown = _authority.OnMemberChange(new MemberChangeRequest(MemberChangeKind.Check, stale with { NodeId = "n9" }));

        Assert.Equal(MemberChangeStatus.Applied, live.Status);
        Assert.Equal(_members.Get("n3"), live.Record);
        Assert.Equal(MemberChangeStatus.NotFound, unknown.Status);
        Assert.Equal(version, _members.Version);
        Assert.Equal("http://127.0.0.1:13", _members.Get("n3")!.Url);
        Assert.NotEqual(7, _members.Get("n3")!.Capacity);
    }

    [Fact]
    public void A_member_that_is_not_alive_moves_and_the_version_continues_from_the_highest_seen()
    {
        _self.Set(NodeState.Up);

        var reply = _authority.OnMemberChange(new MemberChangeRequest(MemberChangeKind.Move, _members.Get("n3")! with { Url = "http://127.0.0.1:98" }));

        Assert.Equal(MemberChangeStatus.Applied, reply.Status);
        Assert.Equal(4, reply.Record!.Version);
        Assert.Equal("n2", reply.Record.VersionNodeId);
        Assert.Equal("http://127.0.0.1:98", _members.Get("n3")!.Url);
    }

    [Fact]
    public void Applying_another_members_record_ends_the_lone_members_exemption_at_once()
    {
        // The health monitor sets Alone at its ticks; a member added between two of them must not leave this node serving
        // through a late tick (LocalNodeStatus.Alone, docs/recovery.md "Freezes").
        _self.Set(NodeState.Up);
        _self.SetAlone(true);

        var reply = _authority.OnMemberChange(new MemberChangeRequest(MemberChangeKind.Move, _members.Get("n3")! with { Url = "http://127.0.0.1:97" }));

        Assert.Equal(MemberChangeStatus.Applied, reply.Status);
        Assert.False(_self.Alone);
    }

    [Fact]
    public void A_node_added_again_starts_its_new_round_of_catching_up_before_it_is_Joining()
    {
        // The health monitor, on its own thread, turns a Joining node that has caught up Up. Set Joining before the new round
        // began, a tick in between saw the ledger of the round before the removal and turned the re-added node Up on the
        // table it held when removed (found by attack, 1 in ~120 re-adds under churn).
        _self.Set(NodeState.Up);
        var n2 = _members.Get("n2")!;
        _agent.OnMembers([n2 with { Removed = true, Version = 10 }]);
        Assert.True(_self.Removed);
        var before = _reconciler.Round;
        long? roundWhenJoining = null;
        using var watch = _node.Changes.Subscribe(c =>
        {
            if (c is NodeStateChanged { NodeId: "n2", State: NodeState.Joining })
            {
                roundWhenJoining = _reconciler.Round;
            }
        });

        _agent.OnMembers([n2 with { Removed = false, Order = 5, Version = 11 }]);

        Assert.False(_self.Removed);
        Assert.Equal(NodeState.Joining, _self.State);
        Assert.True(roundWhenJoining > before, $"Joining in round {roundWhenJoining}, the round before the re-add was {before}");
    }

    [Theory]
    [InlineData(long.MaxValue)] // counting on from it would overflow
    [InlineData(-1L)]
    public void A_forwarded_change_carrying_an_absurd_version_is_a_conflict_and_changes_nothing(long version)
    {
        _self.Set(NodeState.Up);
        var before = _members.Version;

        var reply = _authority.OnMemberChange(new MemberChangeRequest(MemberChangeKind.Update, _members.Get("n3")! with { Capacity = 7, Version = version }));

        Assert.Equal(MemberChangeStatus.Conflict, reply.Status);
        Assert.Contains("version", reply.Error, StringComparison.Ordinal);
        Assert.Equal(before, _members.Version);
        Assert.NotEqual(7, _members.Get("n3")!.Capacity);
    }

    [Fact]
    public void A_node_that_is_not_the_authority_refuses_a_forwarded_change_as_unavailable()
    {
        var reply = _authority.OnMemberChange(new MemberChangeRequest(MemberChangeKind.Remove, _members.Get("n3")!));

        Assert.Equal(MemberChangeStatus.Unavailable, reply.Status);
        Assert.False(_members.Get("n3")!.Removed);
    }

    public ValueTask DisposeAsync() => _mesh.DisposeAsync();
}
