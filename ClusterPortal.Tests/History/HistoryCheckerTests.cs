using System.Diagnostics;
using ClusterPortal.Tests.Support.History;

namespace ClusterPortal.Tests.History;

/// <summary>The history checker finds each kind of violation and passes a clean history (it must be able to fail).</summary>
public sealed class HistoryCheckerTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(200);

    private static ViewSample View(string node, long at, bool serving, params (string Client, string Primary, string? Alternate)[] assignments) =>
        new(node, at, serving, assignments.ToDictionary(a => a.Client, a => new ViewedAssignment(a.Primary, a.Alternate), StringComparer.Ordinal));

    private static ClientOperation Announce(string client) => new(client, OperationKind.Announce, null, 1, 2, 201, "n1", null, null, null);

    private static ClientOperation Get(string client, int status, string? held, string? answer) =>
        new(client, OperationKind.Get, "a.txt", 3, 4, status, "n1", held, answer, null);

    private static ClusterHistory HistoryOf(params ClientOperation[] operations)
    {
        var history = new ClusterHistory();
        foreach (var op in operations)
        {
            history.Record(op);
        }

        return history;
    }

    [Fact]
    public void A_clean_history_has_no_violation()
    {
        var history = HistoryOf(Announce("c1"), Get("c1", 200, null, "\"aa\""), Get("c1", 304, "\"aa\"", "W/\"aa\""));
        history.Record(View("n1", 0, true, ("c1", "n1", "n2")));
        history.Record(View("n2", 1, true, ("c1", "n1", "n2")));
        var final = new[] { View("n1", 10, true, ("c1", "n1", "n2")), View("n2", 10, true, ("c1", "n1", "n2")) };

        var verdict = HistoryChecker.Check(history, final, Window);

        Assert.Empty(verdict.Violations);
        Assert.Equal(3, verdict.Operations);
        Assert.Equal(0, verdict.FailedOperations);
    }

    [Fact]
    public void A_lost_assignment_and_a_disagreement_and_a_missing_alternate_are_found()
    {
        var history = HistoryOf(Announce("c1"), Announce("c2"));
        var final = new[]
        {
            View("n1", 10, true, ("c1", "n1", "n2"), ("c2", "n2", null)),
            View("n2", 10, true, ("c1", "n2", "n1")),
        };

        var violations = HistoryChecker.Check(history, final, Window).Violations;

        Assert.Contains(violations, v => v.Contains("n2 lost client c2", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("disagree on 1 client(s), e.g. c1", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("c2 has no alternate", StringComparison.Ordinal));
    }

    [Fact]
    public void The_verdict_counts_each_kind_of_violation_for_the_figures()
    {
        var ms = Stopwatch.Frequency / 1000;
        var history = HistoryOf(Announce("c1"), Announce("c2"), Get("c1", 304, "\"aa\"", "\"bb\""), Get("c1", 503, null, null));
        history.Record(View("n1", 0, true, ("c1", "n1", "n2")));
        history.Record(View("n2", 10 * ms, true, ("c1", "n2", "n1")));
        history.Record(View("n1", 20 * ms, true, ("c1", "n1", "n2")));
        var final = new[] { View("n1", 10, true, ("c1", "n1", "n2")), View("n2", 10, true, ("c1", "n1", "n2"), ("c2", "n2", "n1")) };

        var verdict = HistoryChecker.Check(history, final, Window);

        Assert.Equal((4, 1, 1, 1, 1), (verdict.Operations, verdict.FailedOperations, verdict.Lost, verdict.WrongNotModifiedCount, verdict.TwoPrimariesCount));
    }

    [Fact]
    public void A_304_for_a_version_the_device_did_not_hold_is_found()
    {
        var violations = HistoryChecker.WrongNotModified([Get("c1", 304, "\"aa\"", "\"bb\""), Get("c1", 304, null, "\"aa\"")]).ToList();

        Assert.Equal(2, violations.Count);
        Assert.Contains("held \"aa\", the answer named \"bb\"", violations[0], StringComparison.Ordinal);
        Assert.Contains("held nothing", violations[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Two_serving_nodes_naming_themselves_primary_at_once_are_found_but_not_a_node_that_stopped_serving()
    {
        var ms = Stopwatch.Frequency / 1000;
        var views = new[]
        {
            View("n1", 0, true, ("c1", "n1", "n2"), ("c2", "n1", "n2")),
            View("n2", 50 * ms, true, ("c1", "n2", "n3")),
            View("n3", 60 * ms, false, ("c2", "n3", "n2")),
            View("n1", 80 * ms, true, ("c1", "n1", "n2"), ("c2", "n1", "n2")),
            View("n3", 900 * ms, true, ("c2", "n3", "n2")),
        };

        var violations = HistoryChecker.TwoPrimaries(views, Window).ToList();

        Assert.StartsWith("client c1 had two primaries: n1 and n2 both served and named themselves primary 50 ms apart (at ", Assert.Single(violations), StringComparison.Ordinal);
    }

    [Fact]
    public void A_hand_over_between_two_samples_is_not_two_primaries()
    {
        var ms = Stopwatch.Frequency / 1000;
        var views = new[]
        {
            View("n1", 0, true, ("c1", "n1", "n2")),
            View("n2", 50 * ms, true, ("c1", "n2", "n3")), // n1 handed c1 to n2 between the two samples
            View("n1", 80 * ms, true, ("c1", "n2", "n3")),
            View("n3", 100 * ms, true, ("c2", "n3", "n1")),
            View("n1", 120 * ms, true, ("c1", "n2", "n3"), ("c2", "n1", "n3")), // n3 before n1: also bracketed by neither
            View("n3", 200 * ms, true, ("c2", "n1", "n3")),
        };

        Assert.Empty(HistoryChecker.TwoPrimaries(views, Window));
    }

    private static ViewSample Seen(string node, long at, string primaryOfC1, params (string Node, string State)[] states) =>
        new(node, at, true, new Dictionary<string, ViewedAssignment>(StringComparer.Ordinal) { ["c1"] = new(primaryOfC1, null) },
            states.ToDictionary(s => s.Node, s => s.State, StringComparer.Ordinal));

    [Fact]
    public void A_client_moved_back_to_the_node_it_left_while_its_new_primary_stayed_up_is_found()
    {
        var views = new[]
        {
            Seen("n1", 1, "n3", ("n2", "Up"), ("n3", "Up")),
            Seen("n1", 2, "n2", ("n2", "Up"), ("n3", "Down")), // failover: n3 Down
            Seen("n1", 3, "n2", ("n2", "Up"), ("n3", "Up")),   // n3 back: c1 stays on n2 (Fig. 7)
            Seen("n1", 4, "n3", ("n2", "Up"), ("n3", "Up")),   // moved back although n2 stayed Up
        };

        var violation = Assert.Single(HistoryChecker.MovedBack(views));
        Assert.StartsWith("client c1 moved back: n3 -> n2 at ", violation, StringComparison.Ordinal);
        Assert.Equal(2, HistoryChecker.Moves(views, "n1"));
    }

    [Fact]
    public void A_second_failover_back_to_the_first_node_is_not_moving_back_and_forth()
    {
        var views = new[]
        {
            Seen("n1", 1, "n3", ("n2", "Up"), ("n3", "Up")),
            Seen("n1", 2, "n2", ("n2", "Up"), ("n3", "Down")),
            Seen("n1", 3, "n2", ("n2", "Down"), ("n3", "Up")), // now n2 is Down: moving to n3 is a failover
            Seen("n1", 4, "n3", ("n2", "Down"), ("n3", "Up")),
        };

        Assert.Empty(HistoryChecker.MovedBack(views));
    }
}
