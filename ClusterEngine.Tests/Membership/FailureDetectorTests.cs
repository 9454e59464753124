using ClusterEngine.Membership;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Membership;

/// <summary>The failure detector's evidence rules that recovery relies on (docs/recovery.md, "Evidence of life").</summary>
public sealed class FailureDetectorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    [Fact]
    public void Watching_a_peer_is_not_seeing_it_and_silence_past_the_timeout_is_Down()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n2");

        Assert.False(detector.WasSeen("n2"));
        Assert.False(detector.IsAlive("n2"));
        time.Advance(TimeSpan.FromMilliseconds(1100));
        Assert.Contains(("n2", NodeState.Down), detector.Evaluate());
        Assert.False(detector.IsKnownStopped("n2"));
    }

    [Fact]
    public void A_peer_is_alive_while_heard_within_the_timeout_and_not_after_its_port_refused()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n2");

        Assert.True(detector.Heard("n2", 5, 1, NodeState.Up));
        Assert.True(detector.IsAlive("n2"));
        Assert.True(detector.WasSeen("n2"));
        time.Advance(TimeSpan.FromMilliseconds(1100));
        Assert.False(detector.IsAlive("n2"));
        detector.Heard("n2", 5, 2, NodeState.Up);
        detector.Unreachable("n2");
        Assert.False(detector.IsAlive("n2"));
        Assert.True(detector.IsKnownStopped("n2"));
    }

    [Fact]
    public void A_leaving_peer_whose_connection_drops_stays_Leaving_and_never_looks_available_again()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n2");
        detector.Heard("n2", 1, 3, NodeState.Up);
        detector.ConnectionDropped("n2");
        Assert.Contains(("n2", NodeState.Suspect), detector.Evaluate());

        detector.Heard("n2", 1, 4, NodeState.Leaving);
        detector.ConnectionDropped("n2"); // it closes its connections as it goes

        Assert.Contains(("n2", NodeState.Leaving), detector.Evaluate());
        Assert.Equal(NodeState.Leaving, detector.StateOf("n2"));
    }

    [Fact]
    public void A_status_of_an_older_incarnation_is_no_evidence()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n2");
        detector.Heard("n2", 7, 5, NodeState.Joining);
        detector.Unreachable("n2");

        Assert.False(detector.Heard("n2", 6, 6, NodeState.Up)); // a late message of the process before the restart
        Assert.True(detector.IsKnownStopped("n2"));
        Assert.True(detector.Heard("n2", 8, 7, NodeState.Up));
        Assert.False(detector.IsKnownStopped("n2"));
    }

    [Fact]
    public void A_status_older_than_one_already_heard_does_not_undo_it()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n2");
        detector.Heard("n2", 3, 10, NodeState.Up);

        Assert.True(detector.Heard("n2", 3, 12, NodeState.Leaving));
        Assert.False(detector.Heard("n2", 3, 11, NodeState.Up)); // its answer to our heartbeat, written before it said Leaving

        Assert.Contains(("n2", NodeState.Leaving), detector.Evaluate());
        Assert.Equal(NodeState.Leaving, detector.StateOf("n2"));
        Assert.True(detector.Heard("n2", 4, 1, NodeState.Up)); // a new process starts its numbers again
    }

    [Fact]
    public void A_peer_never_heard_since_the_start_may_be_starting_until_the_grace_unless_its_port_refused()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n2");
        detector.Watch("n3");
        detector.Watch("n4");
        detector.Unreachable("n3"); // refused: known stopped
        detector.Heard("n4", 1, 1, NodeState.Up);
        time.Advance(TimeSpan.FromSeconds(5)); // silent past the failure timeout

        Assert.Contains(("n2", NodeState.Down), detector.Evaluate());
        Assert.True(detector.MayBeStarting("n2", TimeSpan.FromSeconds(10)));
        Assert.False(detector.MayBeStarting("n3", TimeSpan.FromSeconds(10)));
        Assert.False(detector.MayBeStarting("n4", TimeSpan.FromSeconds(10))); // heard once: its silence is evidence

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.False(detector.MayBeStarting("n2", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_peer_heard_within_half_its_timeout_is_fresh_evidence_and_later_it_is_not_though_not_yet_Down()
    {
        // A node cut off keeps its peers' leases (and so the quorum) until just before they find it Down; it may decide
        // failovers only on peers heard within half their timeout (LocalNodeStatus.MayDecide).
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n2");

        Assert.False(detector.HeardRecently("n2")); // watched, never heard
        detector.Heard("n2", 5, 1, NodeState.Up);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(detector.HeardRecently("n2"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(detector.HeardRecently("n2"));
        Assert.DoesNotContain(detector.Evaluate(), c => c.State == NodeState.Down); // still Up: only the evidence is stale
        detector.Heard("n2", 5, 2, NodeState.Up);
        Assert.True(detector.HeardRecently("n2"));
    }

    [Fact]
    public void A_silent_peer_another_peer_may_still_be_leasing_to_is_Suspect_until_that_lease_is_over_and_a_refused_one_is_Down_at_once()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n2");
        detector.Watch("n3");
        detector.Heard("n2", 5, 1, NodeState.Up);
        detector.Heard("n3", 5, 1, NodeState.Up);
        detector.Evaluate();

        time.Advance(TimeSpan.FromMilliseconds(900));
        detector.OtherPeerHeard("n2", TimeSpan.FromMilliseconds(600)); // another peer still heard n2 lately
        time.Advance(TimeSpan.FromMilliseconds(200));                  // silent past our timeout

        var verdicts = detector.Evaluate();
        Assert.Contains(("n2", NodeState.Suspect), verdicts);
        Assert.Contains(("n3", NodeState.Down), verdicts);
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Contains(("n2", NodeState.Down), detector.Evaluate());

        detector.Heard("n2", 5, 2, NodeState.Up);
        Assert.Contains(("n2", NodeState.Up), detector.Evaluate());
        detector.OtherPeerHeard("n2", TimeSpan.FromSeconds(5));
        detector.Unreachable("n2");
        Assert.Contains(("n2", NodeState.Down), detector.Evaluate()); // a refusal is no silence: the process is gone
    }

    [Fact]
    public void A_peer_whose_port_refused_counts_as_stopped_for_the_quorum_until_the_quorum_hears_it_not_when_its_port_opens_again()
    {
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n1");
        detector.Watch("n3");
        detector.Heard("n1", 1, 1, NodeState.Up);
        detector.Heard("n3", 1, 1, NodeState.Up);
        detector.Unreachable("n1"); // every other node stopped: this node (n2) is the lone survivor
        detector.Unreachable("n3");
        bool Survivor(string id) => id == "n2";
        Assert.True(Quorum.HasQuorum(["n1", "n2", "n3"], Survivor, detector.StoppedUntilHeard));

        detector.ConnectionRestored("n1"); // n1's process is back and its port open, nothing heard from it yet
        Assert.False(detector.IsKnownStopped("n1"));
        Assert.True(detector.StoppedUntilHeard("n1"));
        Assert.True(Quorum.HasQuorum(["n1", "n2", "n3"], Survivor, detector.StoppedUntilHeard)); // before: the even split went to n1
        Assert.False(Quorum.HasQuorum(["n1", "n2", "n3"], Survivor, detector.IsKnownStopped)); // what the rule was

        detector.Heard("n1", 2, 1, NodeState.Joining); // heard, but not holding this node's serving lease yet: still not counted
        Assert.True(detector.StoppedUntilHeard("n1"));
        Assert.True(Quorum.HasQuorum(["n1", "n2", "n3"], Survivor, detector.StoppedUntilHeard));
        detector.CountsAgain("n1"); // the quorum hears it (ClusterHealthMonitor)
        Assert.False(detector.StoppedUntilHeard("n1"));
        Assert.True(Quorum.HasQuorum(["n1", "n2", "n3"], id => id is "n1" or "n2", detector.StoppedUntilHeard));
    }
    [Fact]
    public void A_peer_that_said_it_left_counts_as_stopped_for_the_quorum_after_its_silence_until_it_starts_again()
    {
        // Found by attack: SIGTERM node-1 (it leaves: Leaving, Left), then kill -9 node-2 — node-3 lost its quorum for good,
        // because node-1's verdict went Suspect and Down with the silence and no refusal was ever seen for it.
        var time = new FakeTimeProvider();
        var detector = new FailureDetector(time, Timeout);
        detector.Watch("n1");
        detector.Watch("n2");
        detector.Heard("n1", 1, 1, NodeState.Up);
        detector.Heard("n2", 1, 1, NodeState.Up);
        detector.Heard("n1", 1, 2, NodeState.Leaving);
        detector.Heard("n1", 1, 3, NodeState.Left);
        time.Advance(TimeSpan.FromSeconds(30));
        detector.Evaluate();
        detector.Unreachable("n2");
        bool Survivor(string id) => id == "n3";

        Assert.NotEqual(NodeState.Left, detector.StateOf("n1")); // the verdict moved on with the silence
        Assert.True(detector.StoppedUntilHeard("n1"));
        Assert.True(Quorum.HasQuorum(["n1", "n2", "n3"], Survivor, detector.StoppedUntilHeard));

        detector.Heard("n1", 2, 1, NodeState.Joining); // started again: counts as a member once more
        Assert.False(detector.StoppedUntilHeard("n1"));
    }
}
