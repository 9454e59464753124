using ClusterEngine.Placement;

namespace ClusterEngine;

public sealed partial class ClusterState
{
    // Clients whose last-seen time entered a new step (SeenStep) here and that their other role holders have not heard of,
    // or that this node gave a new primary or alternate (Commit: the new holder never had a sighting of them)
    // (docs/architecture.md §5, "Idle clients"); taken by TakeSeen. Under _gate.
    private HashSet<string> _seenToRelay = new(StringComparer.Ordinal);

    // Clients whose last-seen time entered a new step and is not yet queued for the database; taken by TakeSeenToStore.
    // Under _gate.
    private HashSet<string> _seenToStore = new(StringComparer.Ordinal);

    // Completed when a client got a new holder here (Commit): the relay sends at once instead of at its next period.
    // Replaced under _gate when TakeSeen takes the queue.
    private TaskCompletionSource _seenUrgent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when a client got a new primary or alternate here since the last <see cref="TakeSeen"/>: the new holder has
    /// no sighting of it, and if this node failed before its next relay period the holder, promoted by a second failure,
    /// removed a client seen seconds before (found by attack: two crashes 1.5 s apart). <see cref="Backplane.ClientSeenRelay"/>
    /// sends at once.
    /// </summary>
    internal Task SeenUrgent
    {
        get
        {
            lock (_gate)
            {
                return _seenUrgent.Task;
            }
        }
    }

    /// <summary>Under the lock: queues <paramref name="clientId"/> for its new holders and wakes the relay.</summary>
    private void NewHolder(string clientId)
    {
        _seenToRelay.Add(clientId);
        _seenUrgent.TrySetResult();
    }

    /// <summary>
    /// The step in which last-seen times travel and are stored (seconds): a twentieth of <c>Cluster:ClientIdleTimeout</c>,
    /// at least the in-memory resolution. A client seen all day is relayed and written a few times a day at the 7-day
    /// default, not once a minute; a time received (<see cref="ApplySeen"/>) or restored (<see cref="RestoreSeen"/>) is
    /// taken as the start of its step plus one step, never past now — so never too early a removal, and at most one step
    /// late.
    /// </summary>
    internal uint SeenStep { get; }

    /// <summary>
    /// Records a sighting under the lock: moves the time and, when it enters a new step, queues it for the store and —
    /// with <paramref name="relay"/> (this node is the client's primary) — for the client's other role holders.
    /// <paramref name="always"/> queues it for them whatever the step (a renewed session, rare).
    /// </summary>
    private void Saw(string clientId, uint before, uint at, bool relay, bool always = false)
    {
        _table.Touch(clientId, at);
        var newStep = at / SeenStep != before / SeenStep;
        if (newStep)
        {
            _seenToStore.Add(clientId);
        }

        if ((relay && newStep) || always)
        {
            _seenToRelay.Add(clientId);
        }
    }

    /// <summary>
    /// Under the lock: a live client placed anew because its primary and alternate were both gone (a reassignment) counts
    /// as seen now. Its new primary never had a sighting of it — neither holder's notes (<see cref="TakeSeen"/>) reached it
    /// — and counted from when it first learned the client, so a client placed more than a timeout ago was removed at its
    /// next idle pass, active or not. A promotion does not count: the alternate has the primary's notes.
    /// </summary>
    private void SawOnReassignment(string clientId)
    {
        if (_table.TryGet(clientId, out var slot))
        {
            Saw(clientId, slot.LastSeen, Math.Max(slot.LastSeen, AssignmentSlot.ToLastSeen(_time.GetUtcNow())), relay: false);
        }
    }

    /// <summary>
    /// Records that <paramref name="clientId"/> was seen at this node outside a request it routed as the client's primary —
    /// a device renewing its session (<c>POST /api/sessions</c> with its token) — and queues the time for the client's
    /// primary and alternate (<see cref="TakeSeen"/>), which decide and inherit its idle expiry.
    /// </summary>
    /// <returns>False when the client has no live assignment here.</returns>
    public bool MarkSeen(string clientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        lock (_gate)
        {
            if (!_table.TryGet(clientId, out var slot))
            {
                return false;
            }

            Saw(clientId, slot.LastSeen, AssignmentSlot.ToLastSeen(_time.GetUtcNow()), relay: true, always: true);
            return true;
        }
    }

    /// <summary>
    /// The last-seen times queued since the previous call — entered a new step (<see cref="SeenStep"/>) at the client's
    /// primary, a renewed session, a client given a new holder here — each with the nodes to tell: the client's primary
    /// and alternate, this node left out. Only the primary expires an idle client, and it knows the client's requests only
    /// from what it routed itself; without these notes an alternate promoted by a failover measured the idleness of a
    /// client seen yesterday from the day it was placed, and removed it at its next idle pass (docs/architecture.md §5).
    /// </summary>
    /// <returns>One entry per client that still has a live assignment and a node other than this one to tell.</returns>
    public IReadOnlyList<SeenNote> TakeSeen()
    {
        lock (_gate)
        {
            if (_seenUrgent.Task.IsCompleted)
            {
                // Before the take: a new holder queued after this point completes the new one (one wake too many at worst).
                _seenUrgent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        var members = _view.Snapshot;
        var notes = new List<SeenNote>();
        foreach (var (clientId, slot) in Take(ref _seenToRelay))
        {
            var primary = slot.Primary == _self ? null : members.NodeId(slot.Primary);
            var alternate = !slot.HasAlternate || slot.Alternate == _self ? null : members.NodeId(slot.Alternate);
            if (primary is not null || alternate is not null)
            {
                notes.Add(new SeenNote(ToSeen(clientId, slot), primary, alternate));
            }
        }

        return notes;
    }

    /// <summary>
    /// The last-seen times that entered a new store step (<see cref="SeenStep"/>) since the previous call, for the
    /// database (the stored <c>LastSeenUtc</c> a restart restores, <see cref="RestoreSeen"/>).
    /// </summary>
    public IReadOnlyList<ClientSeen> TakeSeenToStore() => [.. Take(ref _seenToStore).Select(e => ToSeen(e.ClientId, e.Slot))];

    /// <summary>
    /// A peer's <c>ClientsSeen</c>: moves each known live client's last-seen time forward to the peer's plus one step (the
    /// peer sends a time when it enters a new step, so the client may have been seen until the step's end), never past
    /// this node's clock and never back. Unknown and removed clients are skipped (a removal wins over a late note).
    /// </summary>
    /// <param name="seen">The peer's notes (times in seconds since the Unix epoch).</param>
    /// <returns>How many clients' times moved.</returns>
    public int ApplySeen(IReadOnlyList<ClientSeen> seen)
    {
        ArgumentNullException.ThrowIfNull(seen);
        var now = AssignmentSlot.ToLastSeen(_time.GetUtcNow());
        var moved = 0;
        lock (_gate)
        {
            foreach (var note in seen)
            {
                if (note is null || !_table.TryGet(note.ClientId, out var slot))
                {
                    continue;
                }

                var at = StepEnd(note.At, now);
                if (at > slot.LastSeen)
                {
                    Saw(note.ClientId, slot.LastSeen, at, relay: false);
                    moved++;
                }
            }
        }

        return moved;
    }

    /// <summary>
    /// At start, before the node serves: sets the last-seen times of restored clients from their stored ones, plus one
    /// store step (the stored time is the start of the step the client was last seen in), never past now. Without it
    /// every restart counted every client as seen at the restart, and a cluster restarted more often than
    /// <c>Cluster:ClientIdleTimeout</c> never removed an idle client. Clients not listed keep the restart time.
    /// </summary>
    /// <param name="stored">Stored times (seconds since the Unix epoch); unknown and removed clients are skipped.</param>
    public void RestoreSeen(IReadOnlyList<ClientSeen> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var now = AssignmentSlot.ToLastSeen(_time.GetUtcNow());
        lock (_gate)
        {
            foreach (var entry in stored)
            {
                if (_table.TryGet(entry.ClientId, out _))
                {
                    _table.Touch(entry.ClientId, StepEnd(entry.At, now));
                }
            }
        }
    }

    private List<(string ClientId, AssignmentSlot Slot)> Take(ref HashSet<string> queued)
    {
        HashSet<string> taken;
        lock (_gate)
        {
            if (queued.Count == 0)
            {
                return [];
            }

            taken = queued;
            queued = new HashSet<string>(StringComparer.Ordinal);
        }

        var live = new List<(string, AssignmentSlot)>(taken.Count);
        foreach (var clientId in taken)
        {
            if (_table.TryGet(clientId, out var slot))
            {
                live.Add((clientId, slot));
            }
        }

        return live;
    }

    private static ClientSeen ToSeen(string clientId, AssignmentSlot slot) =>
        new(clientId, AssignmentSlot.Epoch.AddSeconds(slot.LastSeen).ToUnixTimeSeconds());

    /// <summary>A step's start (seconds since the Unix epoch, any value) plus one step, as a last-seen time no later than <paramref name="now"/>.</summary>
    private uint StepEnd(long unixSeconds, uint now) =>
        (uint)Math.Min(now, (ulong)AssignmentSlot.ToLastSeen(DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(unixSeconds, 0, 253_402_300_799))) + SeenStep);
}

/// <summary>One client's last-seen time to relay (<see cref="ClusterState.TakeSeen"/>) and the nodes to relay it to.</summary>
/// <param name="Seen">The client and when this node last saw it.</param>
/// <param name="Primary">The client's primary when that is another node; else null.</param>
/// <param name="Alternate">The client's alternate when it has one on another node; else null.</param>
public sealed record SeenNote(ClientSeen Seen, string? Primary, string? Alternate);
