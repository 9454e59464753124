using System.Collections.Concurrent;
using ClusterEngine.Membership;
using ClusterEngine.Placement;
using ClusterPortal.Client.Contract;
using Microsoft.Extensions.Logging;

namespace ClusterEngine.Backplane;

/// <summary>
/// What an authenticated peer may call and send (docs/identity.md, "Peers"). A connection whose credential
/// checked out (<see cref="PeerCredentials"/>) may always say <c>Hello</c>; with a join credential nothing else. Every
/// other method needs a member (in <see cref="MemberList"/>, not removed) whose credential is not of an older incarnation
/// than the one its heartbeats announced — except <c>Members</c> while a node is being added: a list naming both the
/// sender and this node as members is how an added node first learns the cluster. Messages are checked before anything
/// is applied: an assignment naming a node that is not a member, a <c>Status</c> or <c>Hello</c> speaking for another
/// node, a <c>MirrorSync</c> from another node than the sender, a bad client id, a member record out of bounds
/// (<see cref="MemberRecordBounds"/>) — refused (or that part dropped) and logged, at most once per sender, method and
/// <see cref="LogEvery"/> as a warning. Pure checks over the member list and the view; no I/O.
/// </summary>
/// <param name="members">The member list (the membership source).</param>
/// <param name="state">This node's view (incarnations heard from heartbeats).</param>
/// <param name="time">Clock of the log rate limit.</param>
/// <param name="logger">Logs refusals.</param>
public sealed partial class PeerGuard(MemberList members, ClusterState state, TimeProvider time, ILogger<PeerGuard> logger)
{
    /// <summary>How often one sender's refusals of one method are logged as a warning (the rest at debug).</summary>
    public static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(10);

    /// <summary>The largest assignment counter accepted from a peer (<see cref="HybridClock.Max"/>).</summary>
    public const long MaxCounter = HybridClock.Max;

    /// <summary>The most node ids an <c>Offer</c> may list as offered before.</summary>
    public const int MaxOffered = 64;

    private readonly ConcurrentDictionary<(string Sender, string Method), long> _lastWarned = new();
    private readonly ConcurrentDictionary<string, long> _admitted = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="nodeId"/> is a member (not removed).</summary>
    public bool IsMember(string? nodeId) => nodeId is not null && members.Get(nodeId) is { Removed: false };

    /// <summary>Whether <paramref name="caller"/> may call <paramref name="method"/>: null when it may, else why not (logged).</summary>
    /// <param name="caller">The authenticated sender.</param>
    /// <param name="incarnation">The incarnation its credential was made for.</param>
    /// <param name="joinOnly">True for a join credential.</param>
    /// <param name="method">The hub method.</param>
    public string? Refusal(string caller, long incarnation, bool joinOnly, string method)
    {
        if (method == BackplaneMethods.Hello)
        {
            return null;
        }

        if (joinOnly)
        {
            return Refuse(caller, method, "a join credential is good for Hello only");
        }

        if (method == BackplaneMethods.Members)
        {
            return null; // checked with its content: AdmitMembers
        }

        // A removed member may still send its Status: the answer carries the member list that tells it it was removed
        // (the health monitor does not apply the status of a non-member; docs/recovery.md).
        var removedMemberStatus = method == BackplaneMethods.Status && members.Get(caller) is { Removed: true };
        if (!IsMember(caller) && !removedMemberStatus)
        {
            return Refuse(caller, method, "it is not a member of this cluster");
        }

        var known = state.GetNode(caller)?.Incarnation ?? 0;
        if (incarnation < known)
        {
            return Refuse(caller, method, $"its credential is of incarnation {incarnation}, older than the member's {known}");
        }

        // A newer incarnation is a restart of the member — or another process claiming its id from elsewhere. Only the
        // process answering when this node dials the member's URL (ClusterHealthMonitor), or the authority's add or move,
        // vouches for it: a Hello merely claims a URL. Before, the first Status of a refused duplicate raised the
        // member's incarnation cluster-wide and locked the real process out; then a copy advertising the member's own
        // URL did the same through its Hello (both found by attack).
        // Status is the exception: it is answered (its answer carries this node's own status, which is how the caller
        // admits this node's incarnation in turn) but not applied until vouched for (ClusterHealthMonitor.OnStatus) —
        // refusing it deadlocked two nodes that each waited for the other's answer.
        // Reads of this node's table (a joining or restarted node's catch-up) change nothing here and are served too:
        // refusing them only logged SignalR errors at every start while the incarnations were being admitted.
        return method is not (BackplaneMethods.Status or BackplaneMethods.Snapshot or BackplaneMethods.SnapshotBuckets or BackplaneMethods.DigestBuckets)
            && !Vouched(caller, incarnation)
            ? Refuse(caller, method, $"its incarnation {incarnation} has not answered at the member's URL yet")
            : null;
    }

    /// <summary>
    /// Whether <paramref name="caller"/>'s <paramref name="incarnation"/> is the member's: not newer than the one this node's
    /// view holds, or admitted (<see cref="AdmitIncarnation"/>).
    /// </summary>
    public bool Vouched(string caller, long incarnation) =>
        incarnation <= (state.GetNode(caller)?.Incarnation ?? 0) || _admitted.GetValueOrDefault(caller) >= incarnation;

    /// <summary>
    /// <paramref name="nodeId"/>'s process of <paramref name="incarnation"/> answered this node's heartbeat at the member's own
    /// URL (or was added or moved by the authority): its calls of that incarnation pass <see cref="Refusal"/>.
    /// </summary>
    public void AdmitIncarnation(string nodeId, long incarnation) =>
        _admitted.AddOrUpdate(nodeId, incarnation, (_, old) => Math.Max(old, incarnation));

    /// <summary><c>Hello</c>: the sender speaks for itself; its record is brought within bounds. Null: refused.</summary>
    public HelloRequest? AdmitHello(string caller, HelloRequest? hello)
    {
        if (hello?.Self is null || hello.Self.NodeId != caller)
        {
            Refuse(caller, BackplaneMethods.Hello, "its Hello speaks for another node");
            return null;
        }

        var self = Bounded(caller, BackplaneMethods.Hello, hello.Self);
        return self is null ? null : hello with { Self = self };
    }

    /// <summary><c>Members</c>: records within bounds; from a non-member only as the list of a node being added. Null: refused.</summary>
    public IReadOnlyList<MemberRecord>? AdmitMembers(string caller, IReadOnlyList<MemberRecord>? records)
    {
        if (records is null)
        {
            return null;
        }

        var bounded = records.Select(r => Bounded(caller, BackplaneMethods.Members, r)).OfType<MemberRecord>().ToList();
        if (IsMember(caller) || (Names(bounded, caller) && Names(bounded, state.LocalNodeId)))
        {
            return bounded;
        }

        Refuse(caller, BackplaneMethods.Members, "it is not a member and its list does not add this node with it");
        return null;
    }

    /// <summary><c>Status</c>: the sender's own, with counts brought within range. Null: refused.</summary>
    public StatusMessage? AdmitStatus(string caller, StatusMessage? status)
    {
        if (status is null || status.NodeId != caller || !Enum.IsDefined(status.State))
        {
            Refuse(caller, BackplaneMethods.Status, "its Status speaks for another node or names no state");
            return null;
        }

        var traffic = status.Traffic is { } t
            ? new NodeTraffic(Math.Max(0, t.Requests), Math.Max(0, t.NotModified), Math.Max(0, t.BytesSent), Math.Max(0, t.BytesSaved))
            : null;
        return status with
        {
            InFlight = Math.Max(0, status.InFlight),
            MaxConcurrentRequests = Math.Max(1, status.MaxConcurrentRequests),
            PrimaryCount = Math.Max(0, status.PrimaryCount),
            AlternateCount = Math.Max(0, status.AlternateCount),
            Traffic = traffic,
        };
    }

    /// <summary>Assignment deltas (<c>AssignmentChanged</c>, catch-up, answers): those naming a non-member or out of range are dropped.</summary>
    public IReadOnlyList<AssignmentDelta> AdmitDeltas(string caller, IReadOnlyList<AssignmentDelta>? deltas)
    {
        if (deltas is null)
        {
            return [];
        }

        List<AssignmentDelta>? admitted = null;
        for (var i = 0; i < deltas.Count; i++)
        {
            var ok = IsAdmissible(deltas[i]);
            if (!ok && admitted is null)
            {
                admitted = [.. deltas.Take(i)];
            }
            else if (ok)
            {
                admitted?.Add(deltas[i]);
            }
        }

        if (admitted is null)
        {
            return deltas;
        }

        Refuse(caller, BackplaneMethods.AssignmentChanged, $"{deltas.Count - admitted.Count} of {deltas.Count} assignments name a node that is not a member or are out of range (counter, registration, bounces); they were dropped");
        return admitted;
    }

    /// <summary>
    /// True when a delta names only members (its deciding node a known record, removed or not), with a valid client id and
    /// counter, and a registration stamp that is 0 (unknown) or a counter no later than the delta's own (the registration
    /// is the decision that placed the id, never after the change it belongs to).
    /// </summary>
    public bool IsAdmissible(AssignmentDelta? delta) =>
        delta is not null
        && ClientIds.Problem(delta.ClientId) is null
        && delta.Version.Counter is > 0 and <= MaxCounter
        && delta.Registration >= 0 && delta.Registration <= delta.Version.Counter
        && delta.Version.NodeId is { } decider && members.Get(decider) is not null
        && (delta.Primary is null || IsMember(delta.Primary))
        && (delta.Alternate is null || (delta.Primary is not null && IsMember(delta.Alternate)))
        && delta.Bounces is >= 0 and <= 255;

    /// <summary><c>Offer</c>: a valid client id and a short list of members offered before. Null: refused.</summary>
    public OfferRequest? AdmitOffer(string caller, OfferRequest? offer)
    {
        if (offer is null || ClientIds.Problem(offer.ClientId) is not null || offer.Offered is null || offer.Offered.Count > MaxOffered
            || offer.Bounces is < 0 or > 255)
        {
            Refuse(caller, BackplaneMethods.Offer, "its offer has a bad client id, bounce count or list of offered nodes");
            return null;
        }

        return offer;
    }

    /// <summary>A client id a peer sent (claims): null when valid, else refused and logged.</summary>
    public bool AdmitClientId(string caller, string method, string? clientId)
    {
        if (ClientIds.Problem(clientId) is null)
        {
            return true;
        }

        Refuse(caller, method, "it names an invalid client id");
        return false;
    }

    /// <summary>
    /// <c>ClientsSeen</c>: at most <see cref="BackplaneMethods.BatchSize"/> entries, each a valid client id with a time after
    /// the Unix epoch (a time in the future is capped at the receiver's clock by <see cref="ClusterState.ApplySeen"/>).
    /// False: refused whole and logged — a member never sends a bad entry.
    /// </summary>
    public bool AdmitSeen(string caller, IReadOnlyList<ClientSeen>? seen)
    {
        if (seen is not null && seen.Count <= BackplaneMethods.BatchSize && seen.All(s => s is { At: > 0 } && ClientIds.Problem(s.ClientId) is null))
        {
            return true;
        }

        Refuse(caller, BackplaneMethods.ClientsSeen, $"its batch is missing, longer than {BackplaneMethods.BatchSize} or has an invalid client id or time");
        return false;
    }

    /// <summary><c>MirrorSync</c>: from the sender itself, in a version this node understands.</summary>
    public bool AdmitMirrorSync(string caller, MirrorSyncBatch? batch)
    {
        if (batch is not null && batch.FromNodeId == caller && batch.Parts is not null)
        {
            return true;
        }

        Refuse(caller, BackplaneMethods.MirrorSync, "its batch is empty or speaks for another node");
        return false;
    }

    private static bool Names(IEnumerable<MemberRecord> records, string nodeId) => records.Any(r => r.NodeId == nodeId && !r.Removed);

    private MemberRecord? Bounded(string caller, string method, MemberRecord? record)
    {
        var bounded = MemberRecordBounds.Check(record, out var problem);
        if (problem is not null)
        {
            Refuse(caller, method, problem);
        }

        return bounded;
    }

    private string Refuse(string sender, string method, string reason)
    {
        var now = time.GetTimestamp();
        var key = (sender, method);
        if (!_lastWarned.TryGetValue(key, out var last) || time.GetElapsedTime(last, now) >= LogEvery)
        {
            _lastWarned[key] = now;
            LogRefused(sender, method, reason);
        }
        else
        {
            LogRefusedAgain(sender, method, reason);
        }

        return $"{method} from {sender} refused: {reason}.";
    }

    [LoggerMessage(EventId = LogEvents.Refused, Level = LogLevel.Warning, Message = "Backplane {Method} from {Sender} refused: {Reason}")]
    private partial void LogRefused(string sender, string method, string reason);

    [LoggerMessage(EventId = LogEvents.RefusedAgain, Level = LogLevel.Debug, Message = "Backplane {Method} from {Sender} refused again: {Reason}")]
    private partial void LogRefusedAgain(string sender, string method, string reason);
}
