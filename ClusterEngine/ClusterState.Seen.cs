using ClusterEngine.Backplane;
using ClusterEngine.Placement;

namespace ClusterEngine;

public sealed partial class ClusterState
{
    // Clients whose last-seen time this node moved and has not yet told their other role holders
    // (docs/architecture.md §5, "Idle clients"); taken by TakeSeen. Under _gate.
    private HashSet<string> _seenToRelay = new(StringComparer.Ordinal);

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
            if (!_table.TryGet(clientId, out _))
            {
                return false;
            }

            _table.Touch(clientId, AssignmentSlot.ToLastSeen(_time.GetUtcNow()));
            _seenToRelay.Add(clientId);
            return true;
        }
    }

    /// <summary>
    /// The last-seen times moved here since the previous call, each with the nodes to tell: the client's primary and
    /// alternate, this node left out. Only the primary expires an idle client, and it knows the client's requests only
    /// from what it routed itself; without these notes an alternate promoted by a failover measured the idleness of a
    /// client seen yesterday from the day it was placed, and removed it at its next idle pass (docs/architecture.md §5).
    /// </summary>
    /// <returns>One entry per client that still has a live assignment and a node other than this one to tell.</returns>
    public IReadOnlyList<SeenNote> TakeSeen()
    {
        HashSet<string> taken;
        lock (_gate)
        {
            if (_seenToRelay.Count == 0)
            {
                return [];
            }

            taken = _seenToRelay;
            _seenToRelay = new HashSet<string>(StringComparer.Ordinal);
        }

        var members = _view.Snapshot;
        var notes = new List<SeenNote>(taken.Count);
        foreach (var clientId in taken)
        {
            if (!_table.TryGet(clientId, out var slot))
            {
                continue;
            }

            var primary = slot.Primary == _self ? null : members.NodeId(slot.Primary);
            var alternate = !slot.HasAlternate || slot.Alternate == _self ? null : members.NodeId(slot.Alternate);
            if (primary is not null || alternate is not null)
            {
                notes.Add(new SeenNote(new ClientSeen(clientId, AssignmentSlot.Epoch.AddSeconds(slot.LastSeen).ToUnixTimeSeconds()), primary, alternate));
            }
        }

        return notes;
    }

    /// <summary>
    /// A peer's <c>ClientsSeen</c>: moves each known live client's last-seen time forward to the peer's, never past this
    /// node's clock and never back. Unknown and removed clients are skipped (a removal wins over a late note).
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

                var at = Math.Min(now, AssignmentSlot.ToLastSeen(DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(note.At, 0, 253_402_300_799))));
                if (at > slot.LastSeen)
                {
                    _table.Touch(note.ClientId, at);
                    moved++;
                }
            }
        }

        return moved;
    }
}

/// <summary>One client's last-seen time to relay (<see cref="ClusterState.TakeSeen"/>) and the nodes to relay it to.</summary>
/// <param name="Seen">The client and when this node last saw it.</param>
/// <param name="Primary">The client's primary when that is another node; else null.</param>
/// <param name="Alternate">The client's alternate when it has one on another node; else null.</param>
public sealed record SeenNote(ClientSeen Seen, string? Primary, string? Alternate);
