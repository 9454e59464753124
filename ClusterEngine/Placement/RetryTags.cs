using ClusterEngine.Changes;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Placement;

/// <summary>
/// The retry tags a claim holder keeps (docs/identity.md, "A lost announce answer"): the tag a granted claim carried, bound
/// to the registration that claim's announce made, for <c>Cluster:AnnounceRetryWindow</c>. Bound by watching the change
/// stream: the first assignment of the id seen after the grant is the claim's registration when its hybrid-clock counter
/// lies within the claim's lifetime of the grant (give or take <c>Cluster:PeerClockSkew</c>); a removal of the id, or an
/// assignment of another registration, drops the tag. So a holder that missed a removal and a new registration by another
/// device (frozen, unreachable) recognises the old tag against neither (found by attack twice: first with no binding at
/// all, then with only the time rule, which a second registration within about a minute passed). At most
/// <see cref="AnnounceRetry.MaxRemembered"/> tags, the oldest forgotten first. Every change is written to the
/// <see cref="IRetryTagJournal"/> (the node's store) and a restarted holder gets its tags back (<see cref="Restore"/>).
/// Thread-safe.
/// </summary>
public sealed class RetryTags : IClusterChangeObserver
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly TimeSpan _lifetime;
    private readonly TimeSpan _skew;
    private readonly IRetryTagJournal? _journal;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _tags = new(StringComparer.Ordinal);
    private readonly Queue<(string ClientId, string ClaimId, DateTimeOffset Until)> _order = new(); // oldest first: one window for all

    /// <summary>Creates the store.</summary>
    /// <param name="options"><c>Cluster:AnnounceRetryWindow</c>, <c>Cluster:ClientClaimTimeout</c>, <c>Cluster:PeerClockSkew</c>.</param>
    /// <param name="time">The clock of the grants and the window.</param>
    /// <param name="journal">Where each change of a tag is stored (the node's persistence); null keeps tags in memory only.</param>
    public RetryTags(IOptions<ClusterOptions> options, TimeProvider time, IRetryTagJournal? journal = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_time, _window, _lifetime, _skew, _journal) = (time, options.Value.AnnounceRetryWindow, options.Value.ClientClaimTimeout, options.Value.PeerClockSkew, journal);
    }

    /// <summary>Tags kept (for tests and metrics).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _tags.Count;
            }
        }
    }

    /// <summary>A claim of <paramref name="clientId"/> was granted here: its tag (if any) replaces any earlier one of the id.</summary>
    public void Granted(string clientId, string claimId, string? tag)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (tag is null || _window <= TimeSpan.Zero)
            {
                Forget(clientId); // a registration without a key: no tag opens it
            }
            else
            {
                Keep(clientId, new Entry(tag, claimId, now, now + _window, 0));
                _order.Enqueue((clientId, claimId, now + _window));
            }

            Trim(now);
        }
    }

    /// <summary>The claim was released (its announce placed nobody): its tag goes with it.</summary>
    public void Released(string clientId, string claimId)
    {
        lock (_gate)
        {
            if (_tags.TryGetValue(clientId, out var entry) && entry.ClaimId == claimId)
            {
                Forget(clientId);
            }
        }
    }

    /// <summary>Whether <paramref name="tag"/> is the kept tag of <paramref name="clientId"/>, within its window, for <paramref name="registration"/>.</summary>
    public bool Matches(string clientId, string tag, long registration)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return _tags.TryGetValue(clientId, out var entry) && entry.Until > now
                && (entry.Registration == 0 ? Fits(entry.GrantedAt, registration) : entry.Registration == registration)
                && AnnounceRetry.Same(entry.Tag, tag);
        }
    }

    /// <summary>Binds a kept tag to the first registration seen after its grant; drops it on a removal or another registration.</summary>
    public void OnChange(ClusterChange change)
    {
        if (change is not AssignmentsChanged { Deltas: var deltas })
        {
            return;
        }

        lock (_gate)
        {
            if (_tags.Count == 0)
            {
                return;
            }

            foreach (var delta in deltas)
            {
                if (!_tags.TryGetValue(delta.ClientId, out var entry))
                {
                    continue;
                }

                if (delta.IsRemoval || (entry.Registration == 0 ? !Fits(entry.GrantedAt, delta.Registration) : entry.Registration != delta.Registration))
                {
                    Forget(delta.ClientId);
                }
                else if (entry.Registration == 0)
                {
                    Keep(delta.ClientId, entry with { Registration = delta.Registration });
                }
            }
        }
    }

    /// <summary>
    /// True when <paramref name="registration"/> can be the one the announce of a claim granted at <paramref name="grantedAt"/>
    /// made: that announce places its client within the claim's lifetime, and the nodes' clocks (and so a counter) agree
    /// within the skew either way.
    /// </summary>
    private bool Fits(DateTimeOffset grantedAt, long registration) =>
        registration >= HybridClock.Floor(grantedAt - _skew) && registration < HybridClock.Floor(grantedAt + _lifetime + (2 * _skew));

    /// <summary>Forgets tags whose window closed, and the oldest beyond the cap (the lock is held).</summary>
    private void Trim(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest) && (oldest.Until <= now || _order.Count > AnnounceRetry.MaxRemembered))
        {
            _order.Dequeue();
            if (_tags.TryGetValue(oldest.ClientId, out var entry) && entry.ClaimId == oldest.ClaimId)
            {
                Forget(oldest.ClientId); // not a newer claim's entry of the same id
            }
        }
    }

    /// <summary>
    /// Takes back the tags a restarted holder stored, once the stored assignments are restored into <paramref name="state"/>
    /// (docs/identity.md, "A lost announce answer"): a tag is kept while its window is open — the one it was granted with,
    /// or the node's <c>Cluster:AnnounceRetryWindow</c> from its grant if that is shorter now — and its id's current
    /// registration is still the one it was bound to (or, unbound, one its grant fits); any other is forgotten, in memory
    /// and in the store. Returns the number kept. Call before the node serves.
    /// </summary>
    /// <param name="stored">The stored tags, in any order.</param>
    /// <param name="state">The restored cluster view, read for each id's current registration.</param>
    public int Restore(IEnumerable<RetryTagRecord> stored, ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(state);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var tag in stored.OrderBy(t => t.Until))
            {
                // A grant within one window of now either way (the clock may have been set back): anything else is over, or a
                // damaged or edited row — and the time arithmetic below stays far from DateTimeOffset's ends.
                var registration = state.GetAssignment(tag.ClientId)?.Registration;
                var valid = _window > TimeSpan.Zero && tag.GrantedAt > now - _window && tag.GrantedAt <= now + _window && tag.Until > now
                    && registration is { } current && AnnounceRetry.IsTagOrNone(tag.Tag)
                    && (tag.Registration == 0 ? Fits(tag.GrantedAt, current) : tag.Registration == current);
                if (!valid)
                {
                    _journal?.Forgotten(tag.ClientId);
                    continue;
                }

                var until = tag.Until < tag.GrantedAt + _window ? tag.Until : tag.GrantedAt + _window; // a window shortened since
                _tags[tag.ClientId] = new Entry(tag.Tag, tag.ClaimId, tag.GrantedAt, until, tag.Registration);
                _order.Enqueue((tag.ClientId, tag.ClaimId, until));
            }

            Trim(now);
            return _tags.Count;
        }
    }

    /// <summary>Sets the tag of <paramref name="clientId"/> and stores it (the lock is held).</summary>
    private void Keep(string clientId, Entry entry)
    {
        _tags[clientId] = entry;
        _journal?.Kept(new RetryTagRecord(clientId, entry.Tag, entry.ClaimId, entry.GrantedAt, entry.Until, entry.Registration));
    }

    /// <summary>Drops the tag of <paramref name="clientId"/>, if any, in memory and in the store (the lock is held).</summary>
    private void Forget(string clientId)
    {
        if (_tags.Remove(clientId))
        {
            _journal?.Forgotten(clientId);
        }
    }

    private readonly record struct Entry(string Tag, string ClaimId, DateTimeOffset GrantedAt, DateTimeOffset Until, long Registration);
}
