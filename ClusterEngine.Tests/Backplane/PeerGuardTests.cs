using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterEngine.Tests.Backplane;

/// <summary>What an authenticated peer may call and send (issue 11, case 4): members only, messages naming members only.</summary>
public sealed class PeerGuardTests
{
    private readonly MemberList _members = new();
    private readonly ClusterState _state = new("n1", new ClusterOptions());
    private readonly PeerGuard _guard;

    public PeerGuardTests()
    {
        _members.Merge([Record("n1"), Record("n2"), Record("gone", removed: true)]);
        _state.AddOrUpdateNode(new NodeInfo("n2", "http://127.0.0.1:2", 10, Incarnation: 0));
        _state.ApplyStatus("n2", 500, 1, 0, 1000);
        _guard = new PeerGuard(_members, _state, TimeProvider.System, NullLogger<PeerGuard>.Instance);
    }

    [Fact]
    public void Only_members_of_their_current_incarnation_call_anything_but_Hello()
    {
        Assert.Null(_guard.Refusal("n2", 500, false, BackplaneMethods.AssignmentChanged));
        Assert.NotNull(_guard.Refusal("intruder-99", 1, false, BackplaneMethods.Snapshot));
        Assert.NotNull(_guard.Refusal("gone", 1, false, BackplaneMethods.AssignmentChanged));
        Assert.NotNull(_guard.Refusal("n2", 499, false, BackplaneMethods.Status));
        Assert.Null(_guard.Refusal("intruder-99", 1, false, BackplaneMethods.Hello));
        Assert.NotNull(_guard.Refusal("n2", 500, joinOnly: true, BackplaneMethods.Status));
        Assert.Null(_guard.Refusal("n2", 500, joinOnly: true, BackplaneMethods.Hello));
    }

    [Fact]
    public void A_newer_incarnation_calls_nothing_but_Hello_and_an_unapplied_Status_until_its_answer_at_the_members_URL_admitted_it()
    {
        // A duplicate process of n2 (same id and key, another URL — or advertising n2's URL) used to raise n2's incarnation
        // everywhere with its first Status (or its Hello), so the real n2's calls were "older" and refused from then on.
        Assert.NotNull(_guard.Refusal("n2", 501, false, BackplaneMethods.AssignmentChanged));
        Assert.NotNull(_guard.Refusal("n2", 501, false, BackplaneMethods.Offer));
        Assert.Null(_guard.Refusal("n2", 501, false, BackplaneMethods.Snapshot)); // a read of this node's table changes nothing here
        Assert.Null(_guard.Refusal("n2", 501, false, BackplaneMethods.Hello));
        Assert.Null(_guard.Refusal("n2", 501, false, BackplaneMethods.Status)); // answered, so it can admit this node in turn
        Assert.False(_guard.Vouched("n2", 501)); // but not applied
        Assert.True(_guard.Vouched("n2", 500)); // the real process goes on
        Assert.Null(_guard.Refusal("n2", 500, false, BackplaneMethods.AssignmentChanged));

        _guard.AdmitIncarnation("n2", 501); // a restart: the process at n2's URL answered this node's heartbeat as 501
        Assert.True(_guard.Vouched("n2", 501));
        Assert.Null(_guard.Refusal("n2", 501, false, BackplaneMethods.AssignmentChanged));
        Assert.NotNull(_guard.Refusal("n2", 502, false, BackplaneMethods.AssignmentChanged));
        _guard.AdmitIncarnation("n2", 400); // never lowers what was admitted
        Assert.True(_guard.Vouched("n2", 501));
    }

    [Fact]
    public void Assignments_naming_a_non_member_or_out_of_range_are_dropped_the_rest_applies()
    {
        AssignmentDelta[] deltas =
        [
            Delta("ok", "n1", "n2"),
            Delta("ghost-primary", "ghost-9", "n2"),
            Delta("ghost-alternate", "n1", "ghost-8"),
            Delta("removed-primary", "gone", "n1"),
            Delta("bad id!", "n1", "n2"),
            Delta("huge", "n1", "n2") with { Version = new AssignmentVersion(long.MaxValue, "n2") },
            Delta("unknown-decider", "n1", "n2") with { Version = new AssignmentVersion(3, "ghost-7") },
            Delta("removed-decider", "n1", "n2") with { Version = new AssignmentVersion(3, "gone") },
            Delta("removal", null, null),
        ];

        var admitted = _guard.AdmitDeltas("n2", deltas);

        Assert.Equal(["ok", "removed-decider", "removal"], admitted.Select(d => d.ClientId));
    }

    [Fact]
    public void Assignments_with_a_negative_or_absurd_registration_stamp_are_dropped_the_rest_applies()
    {
        // The registration stamp binds client tokens to one registration of an id (docs/architecture.md §5): a peer cannot
        // lock a client's tokens out with a stamp from the future, and a stamp that cannot be one never reaches the table.
        AssignmentDelta[] deltas =
        [
            Delta("unknown", "n1", "n2"),
            Delta("stamped", "n1", "n2") with { Registration = 2 },
            Delta("stamped-now", "n1", "n2") with { Registration = 3 },
            Delta("negative", "n1", "n2") with { Registration = -1 },
            Delta("minimum", "n1", "n2") with { Registration = long.MinValue },
            Delta("after-its-version", "n1", "n2") with { Registration = 4 },
            Delta("absurd", "n1", "n2") with { Registration = long.MaxValue },
            Delta("removal", null, null) with { Registration = 2 },
        ];

        var admitted = _guard.AdmitDeltas("n2", deltas);
        Assert.Equal(["unknown", "stamped", "stamped-now", "removal"], admitted.Select(d => d.ClientId));
        Assert.False(_guard.IsAdmissible(Delta("x", "n1", "n2") with { Registration = -5 }));

        // Other ways in (catch-up, storage) are not guarded: a stamp that cannot be one is kept as unknown (0), never thrown on.
        _state.AddOrUpdateNode(new NodeInfo("n1", "http://127.0.0.1:1", 10));
        _state.Reconcile([Delta("pulled", "n1", "n2") with { Registration = -1 }, Delta("pulled-late", "n1", "n2") with { Registration = long.MaxValue }]);
        Assert.Equal((0L, 0L), (_state.RegistrationOf("pulled"), _state.RegistrationOf("pulled-late")));
        _state.Apply(admitted);
        Assert.Equal((0L, 2L, 3L), (_state.RegistrationOf("unknown"), _state.RegistrationOf("stamped"), _state.RegistrationOf("stamped-now")));
    }

    [Fact]
    public void A_non_member_may_send_Members_only_as_the_list_that_adds_it_with_this_node()
    {
        Assert.Null(_guard.AdmitMembers("new", [Record("new")]));
        Assert.NotNull(_guard.AdmitMembers("new", [Record("new"), Record("n1")]));
        Assert.NotNull(_guard.AdmitMembers("n2", [Record("n3")]));
    }

    [Fact]
    public void Member_records_out_of_bounds_are_clamped_or_dropped()
    {
        var admitted = _guard.AdmitMembers("n2", [Record("n2") with { Capacity = int.MaxValue }, Record("bad id!"), Record("n3") with { Url = "ftp://x" },
            Record("n4") with { Capacity = -5, Mode = (NodeMode)7 }])!;

        Assert.Equal(["n2", "n4"], admitted.Select(r => r.NodeId));
        Assert.Equal(NodeCapacity.Max, admitted[0].Capacity);
        Assert.Equal((1, NodeMode.Active), (admitted[1].Capacity, admitted[1].Mode));
    }

    [Fact]
    public void A_Status_Hello_or_MirrorSync_speaking_for_another_node_is_refused()
    {
        var status = new StatusMessage("n1", 1, 1, NodeState.Up, -5, 0, -1, -1, 0, 0, new NodeTraffic(-1, 0, long.MaxValue, 0));

        Assert.Null(_guard.AdmitStatus("n2", status));
        var own = _guard.AdmitStatus("n2", status with { NodeId = "n2" })!;
        Assert.Equal((0, 1, 0L), (own.InFlight, own.MaxConcurrentRequests, own.Traffic!.Requests));
        Assert.Null(_guard.AdmitHello("n2", new HelloRequest(Record("n1"), 1, false)));
        Assert.False(_guard.AdmitMirrorSync("n2", new MirrorSyncBatch(1, "n1", [])));
        Assert.True(_guard.AdmitMirrorSync("n2", new MirrorSyncBatch(1, "n2", [])));
    }

    private static MemberRecord Record(string nodeId, bool removed = false) =>
        new(nodeId, $"http://127.0.0.1:{5000 + nodeId.Sum(c => c)}", nodeId, 10, 0, NodeMode.Active, removed, 1, "n1"); // a node URL is a root: no path

    private static AssignmentDelta Delta(string clientId, string? primary, string? alternate) =>
        new(clientId, primary, alternate, new AssignmentVersion(3, "n2"), 0, AssignmentChangeReason.Assigned);
}
