using System.Globalization;

namespace ClusterPortal.Tests.Support.History;

/// <summary>
/// Judges a <see cref="ClusterHistory"/> after the cluster settled, against the invariants of docs/architecture.md:
/// exactly one primary per client on every view and every view agreeing, no assignment lost, never a 304 for a version
/// the client did not hold, and never two serving nodes that each claim to be a client's primary at the same moment.
/// Pure: it reads the records and returns what it found; tests assert on <see cref="HistoryVerdict"/>.
/// </summary>
public static class HistoryChecker
{
    /// <summary>Checks the whole history.</summary>
    /// <param name="history">What the run recorded.</param>
    /// <param name="final">One view per node taken after the run settled (every node expected to hold every client).</param>
    /// <param name="overlap">
    /// How close (both ways) two samples of different nodes must be to count as "the same moment" for the two-primaries
    /// check. Samples are not atomic across nodes; a sampling round that reads the nodes one after another should use
    /// about the time one round takes.
    /// </param>
    public static HistoryVerdict Check(ClusterHistory history, IReadOnlyList<ViewSample> final, TimeSpan overlap)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(final);
        var operations = history.Operations;
        var finalViews = FinalViews(operations, final).ToList();
        var wrong = WrongNotModified(operations).ToList();
        var two = TwoPrimaries(history.Views, overlap).ToList();
        return new HistoryVerdict(operations.Count, operations.Count(o => !o.Succeeded), [.. finalViews, .. wrong, .. two])
        {
            Lost = finalViews.Count(v => v.Contains(LostMarker, StringComparison.Ordinal)),
            WrongNotModifiedCount = wrong.Count,
            TwoPrimariesCount = two.Count,
        };
    }

    private const string LostMarker = " lost client ";

    /// <summary>
    /// Every final view holds every client that was ever announced successfully (no assignment lost), with exactly one
    /// primary that is a node of the cluster, an alternate other than the primary when two nodes serve, and the same
    /// primary and alternate as every other final view.
    /// </summary>
    public static IEnumerable<string> FinalViews(IReadOnlyList<ClientOperation> operations, IReadOnlyList<ViewSample> final)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(final);
        var announced = operations.Where(o => o.Kind == OperationKind.Announce && o.Succeeded).Select(o => o.ClientId)
            .ToHashSet(StringComparer.Ordinal);
        var nodes = final.Select(v => v.NodeId).ToHashSet(StringComparer.Ordinal);
        var serving = final.Count(v => v.Serving);
        foreach (var view in final)
        {
            if (!view.Serving)
            {
                yield return $"{view.NodeId} is not ready after the run settled";
            }

            foreach (var clientId in announced.Where(c => !view.Assignments.ContainsKey(c)).Order(StringComparer.Ordinal).Take(5))
            {
                yield return $"{view.NodeId}{LostMarker}{clientId} (announced successfully, missing from its view)";
            }

            foreach (var (clientId, a) in view.Assignments)
            {
                if (!nodes.Contains(a.Primary))
                {
                    yield return $"{view.NodeId}: client {clientId} has primary {a.Primary}, which is not a node of the cluster";
                }

                if (a.Alternate == a.Primary)
                {
                    yield return $"{view.NodeId}: client {clientId} has {a.Primary} as primary and alternate";
                }
                else if (a.Alternate is null && serving >= 2)
                {
                    yield return $"{view.NodeId}: client {clientId} has no alternate while {serving} nodes serve";
                }
            }
        }

        for (var i = 1; i < final.Count; i++)
        {
            var disagreements = final[i].Assignments
                .Where(p => final[0].Assignments.TryGetValue(p.Key, out var other) && other != p.Value)
                .Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            if (disagreements.Count > 0)
            {
                var c = disagreements[0];
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"{final[0].NodeId} and {final[i].NodeId} disagree on {disagreements.Count} client(s), e.g. {c}: {final[0].Assignments[c]} vs {final[i].Assignments[c]}");
            }
        }
    }

    /// <summary>A 304 is only right for the version the device held: its held validator must be the answer's.</summary>
    public static IEnumerable<string> WrongNotModified(IReadOnlyList<ClientOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        return operations
            .Where(o => o.Kind == OperationKind.Get && o.Status == 304 && (o.HeldETag is null || !SameTag(o.HeldETag, o.AnswerETag)))
            .Take(10)
            .Select(o => $"wrong 304 for {o.ClientId} {o.Key} from {o.ServedBy}: the device held {o.HeldETag ?? "nothing"}, the answer named {o.AnswerETag ?? "nothing"}");
    }

    /// <summary>
    /// Two nodes that both serve (ready) and both name themselves a client's primary at the same moment. Samples of
    /// different nodes are never taken at exactly one instant, so a hand-over between two samples taken within
    /// <paramref name="overlap"/> of each other would look like two primaries; a claim counts only when it brackets the
    /// other node's: the earlier node's next sample (at or after the later one) still names itself primary, serving, or
    /// the later node's previous sample (at or before the earlier one) already did.
    /// </summary>
    public static IEnumerable<string> TwoPrimaries(IReadOnlyList<ViewSample> views, TimeSpan overlap)
    {
        ArgumentNullException.ThrowIfNull(views);
        var window = (long)(overlap.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        var ordered = views.OrderBy(v => v.Taken).ToList();
        var byNode = ordered.GroupBy(v => v.NodeId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var serving = ordered.Where(v => v.Serving).ToList();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < serving.Count; i++)
        {
            for (var j = i + 1; j < serving.Count && serving[j].Taken - serving[i].Taken <= window; j++)
            {
                var (a, b) = (serving[i], serving[j]);
                if (a.NodeId == b.NodeId)
                {
                    continue;
                }

                foreach (var (clientId, mine) in a.Assignments)
                {
                    // The bracketing samples are looked up only for a conflict: a run samples tens of thousands of views.
                    if (mine.Primary == a.NodeId && b.Assignments.TryGetValue(clientId, out var theirs) && theirs.Primary == b.NodeId
                        && (ClaimsPrimary(FirstAtOrAfter(byNode[a.NodeId], b.Taken), clientId) || ClaimsPrimary(LastAtOrBefore(byNode[b.NodeId], a.Taken), clientId))
                        && reported.Add(clientId))
                    {
                        yield return string.Create(CultureInfo.InvariantCulture,
                            $"client {clientId} had two primaries: {a.NodeId} and {b.NodeId} both served and named themselves primary {ClusterHistory.Milliseconds(a.Taken, b.Taken):0} ms apart (at {ClusterHistory.Wall(a.Taken)} UTC)");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Clients moved back and forth: in one node's view a client's primary went from X to Y and later from Y back to X
    /// although that view never saw Y other than <c>Up</c> in between (from the sample of the first move to the sample of
    /// the second). A failover away from a node that is Down, leaving or in maintenance is a reason to move; a node coming
    /// back is not (patent Fig. 7: it drops the roles others now hold). Needs samples with
    /// <see cref="ViewSample.NodeStates"/>; samples without them are skipped.
    /// </summary>
    public static IEnumerable<string> MovedBack(IReadOnlyList<ViewSample> views)
    {
        ArgumentNullException.ThrowIfNull(views);
        foreach (var byNode in views.Where(v => v.NodeStates is not null).GroupBy(v => v.NodeId, StringComparer.Ordinal))
        {
            var samples = byNode.OrderBy(v => v.Taken).ToList();
            var moves = new Dictionary<string, (string From, string To, int At)>(StringComparer.Ordinal);
            var current = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < samples.Count; i++)
            {
                foreach (var (clientId, assignment) in samples[i].Assignments)
                {
                    if (!current.TryGetValue(clientId, out var was) || was == assignment.Primary)
                    {
                        current[clientId] = assignment.Primary;
                        continue;
                    }

                    current[clientId] = assignment.Primary;
                    if (moves.TryGetValue(clientId, out var last) && last.To == was && last.From == assignment.Primary
                        && samples.Skip(last.At).Take(i - last.At + 1).All(v => v.NodeStates!.GetValueOrDefault(was) == "Up"))
                    {
                        yield return string.Create(CultureInfo.InvariantCulture,
                            $"client {clientId} moved back: {last.From} -> {was} at {ClusterHistory.Wall(samples[last.At].Taken)} and {was} -> {assignment.Primary} at {ClusterHistory.Wall(samples[i].Taken)} UTC in {byNode.Key}'s view, {was} Up throughout");
                    }

                    moves[clientId] = (was, assignment.Primary, i);
                }
            }
        }
    }

    /// <summary>Primary changes of every client, counted in each node's view (a client moved once counts once per view).</summary>
    public static int Moves(IReadOnlyList<ViewSample> views, string observer)
    {
        ArgumentNullException.ThrowIfNull(views);
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        var moves = 0;
        foreach (var sample in views.Where(v => v.NodeId == observer).OrderBy(v => v.Taken))
        {
            foreach (var (clientId, assignment) in sample.Assignments)
            {
                if (current.TryGetValue(clientId, out var was) && was != assignment.Primary)
                {
                    moves++;
                }

                current[clientId] = assignment.Primary;
            }
        }

        return moves;
    }

    /// <summary>The first of <paramref name="ordered"/> (by time) taken at or after <paramref name="at"/>, or null.</summary>
    private static ViewSample? FirstAtOrAfter(List<ViewSample> ordered, long at)
    {
        var (lo, hi) = (0, ordered.Count);
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            (lo, hi) = ordered[mid].Taken < at ? (mid + 1, hi) : (lo, mid);
        }

        return lo < ordered.Count ? ordered[lo] : null;
    }

    /// <summary>The last of <paramref name="ordered"/> (by time) taken at or before <paramref name="at"/>, or null.</summary>
    private static ViewSample? LastAtOrBefore(List<ViewSample> ordered, long at)
    {
        var (lo, hi) = (0, ordered.Count);
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            (lo, hi) = ordered[mid].Taken <= at ? (mid + 1, hi) : (lo, mid);
        }

        return lo > 0 ? ordered[lo - 1] : null;
    }

    private static bool ClaimsPrimary(ViewSample? sample, string clientId) =>
        sample is { Serving: true } && sample.Assignments.TryGetValue(clientId, out var assignment) && assignment.Primary == sample.NodeId;

    private static bool SameTag(string held, string? answer) =>
        answer is not null && string.Equals(Opaque(held), Opaque(answer), StringComparison.Ordinal);

    /// <summary>The opaque part of an entity tag: weak and strong forms of one validator name the same bytes here.</summary>
    private static string Opaque(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
}

/// <summary>What <see cref="HistoryChecker.Check"/> found.</summary>
/// <param name="Operations">Client operations recorded.</param>
/// <param name="FailedOperations">Operations that got no acceptable answer.</param>
/// <param name="Violations">Broken invariants, each one line naming the client and nodes; empty when none.</param>
public sealed record HistoryVerdict(int Operations, int FailedOperations, IReadOnlyList<string> Violations)
{
    /// <summary>Violations that are a client missing from a final view (at most 5 reported per view).</summary>
    public int Lost { get; init; }

    /// <summary>Violations that are a 304 for a version the device did not hold (at most 10 reported).</summary>
    public int WrongNotModifiedCount { get; init; }

    /// <summary>Violations that are two serving nodes naming themselves a client's primary at once (one per client).</summary>
    public int TwoPrimariesCount { get; init; }

    /// <summary>One line per violation, for an assertion message.</summary>
    public override string ToString() => Violations.Count == 0
        ? $"{Operations} operations, {FailedOperations} failed, no violation"
        : $"{Operations} operations, {FailedOperations} failed, {Violations.Count} violation(s):\n  " + string.Join("\n  ", Violations);
}
