namespace ClusterEngine.Mirroring;

/// <summary>
/// One client's mirror (patent Fig. 9 and 10): per item key the validator and size the client holds,
/// bounded with least-recently-used eviction, versioned by a sequence number (see <see cref="CacheMirror"/>).
/// Invariant: the entries at sequence N are a subset of what the client holds once it received the answer carrying N.
/// </summary>
internal sealed class ClientMirror
{
    private readonly Lock _gate = new();
    private readonly int _maxEntries;
    private readonly Func<ulong> _newLineage;
    private readonly ItemKeyPool _keys;
    private readonly Dictionary<string, Slot> _entries = new(StringComparer.Ordinal);
    private ulong _sequence;
    private ulong _lastRemoval;
    private ulong _useClock;
    private bool _ownsLineage = true;

    public ClientMirror(int maxEntries, Func<ulong> newLineage, ItemKeyPool keys)
    {
        _maxEntries = maxEntries;
        _newLineage = newLineage;
        _keys = keys;
        _sequence = _lastRemoval = newLineage();
    }

    public ulong Sequence
    {
        get
        {
            lock (_gate)
            {
                return _sequence;
            }
        }
    }

    public MirrorDecision Decide(string key, ulong currentValidator, ulong? echoedSequence)
    {
        lock (_gate)
        {
            if (echoedSequence != _sequence)
            {
                return new(MirrorDecisionReason.SequenceMismatch, _sequence);
            }

            if (!_entries.TryGetValue(key, out var slot))
            {
                return new(MirrorDecisionReason.NotInMirror, _sequence);
            }

            if (slot.Validator != currentValidator)
            {
                return new(MirrorDecisionReason.Changed, _sequence) { HeldValidator = slot.Validator };
            }

            _entries[key] = slot with { LastUse = ++_useClock };
            return new(MirrorDecisionReason.Matched, _sequence);
        }
    }

    /// <summary>
    /// Records that an answer leaves the client holding <paramref name="validator"/> for <paramref name="key"/> and returns
    /// the sequence the answer carries. An answer that shows nothing new changes nothing (<paramref name="changed"/>
    /// false, see <see cref="IsRepeat"/>). A request outside the mirror protocol (<paramref name="inProtocol"/> false: no
    /// <c>Prefer: cache-mirror</c>, no sequence) gets no sequence on its answer, so its entry joins the current state
    /// under a number never sent — no new lineage, nothing dropped; a request in the protocol without a usable echo
    /// starts a new lineage (nothing else is known to be held).
    /// </summary>
    public ulong Record(string key, ulong validator, long sizeBytes, ulong? echoedSequence, bool inProtocol, out bool changed,
        ICollection<string>? removed = null)
    {
        lock (_gate)
        {
            if (IsRepeat(key, validator, sizeBytes, echoedSequence, inProtocol))
            {
                changed = false;
                return _sequence;
            }

            changed = true;
            if (echoedSequence is { } echoed && MirrorLineage.IsAtOrBefore(echoed, _sequence))
            {
                DropChangesAfter(echoed, removed);
            }
            else if (echoedSequence is not null || inProtocol)
            {
                StartNewLineage(removed);
            }

            var next = NextSequence();
            if (!_entries.ContainsKey(key) && _entries.Count >= _maxEntries)
            {
                var evicted = EvictLeastRecentlyUsed(next);
                removed?.Add(evicted);
            }

            _entries[_keys.Share(key)] = new Slot(validator, sizeBytes, next, ++_useClock);
            return _sequence = next;
        }
    }

    /// <summary>
    /// The answer would record nothing new — the mirror's current state already holds (<paramref name="key"/>,
    /// <paramref name="validator"/>) and the request continues that state (it echoes it, or is outside the protocol and
    /// gets no sequence): the state stands as it is (its use time is refreshed) and its sequence is the answer's.
    /// </summary>
    public bool TryConfirm(string key, ulong validator, long sizeBytes, ulong? echoedSequence, bool inProtocol, out ulong sequence)
    {
        lock (_gate)
        {
            sequence = _sequence;
            return IsRepeat(key, validator, sizeBytes, echoedSequence, inProtocol);
        }
    }

    private bool IsRepeat(string key, ulong validator, long sizeBytes, ulong? echoedSequence, bool inProtocol)
    {
        if ((echoedSequence != _sequence && (echoedSequence is not null || inProtocol))
            || !_entries.TryGetValue(key, out var slot) || slot.Validator != validator || slot.SizeBytes != sizeBytes)
        {
            return false;
        }

        _entries[key] = slot with { LastUse = ++_useClock };
        return true;
    }

    public ulong Clear()
    {
        lock (_gate)
        {
            var next = NextSequence();
            _entries.Clear();
            return _sequence = _lastRemoval = next;
        }
    }

    public IReadOnlyList<MirrorEntry> Entries()
    {
        lock (_gate)
        {
            return [.. _entries.OrderByDescending(e => e.Value.LastUse).Select(ToEntry)];
        }
    }

    public MirrorSnapshot ChangesSince(string clientId, ulong checkpoint)
    {
        lock (_gate)
        {
            var isDelta = MirrorLineage.IsAtOrBefore(checkpoint, _sequence) && checkpoint >= _lastRemoval;
            var entries = _entries.Where(e => !isDelta || e.Value.Sequence > checkpoint).OrderBy(e => e.Value.LastUse).Select(ToEntry);
            return new MirrorSnapshot(clientId, !isDelta, isDelta ? checkpoint : 0, _sequence, [.. entries]);
        }
    }

    public MergeResult Merge(MirrorSnapshot snapshot)
    {
        lock (_gate)
        {
            if (snapshot.Sequence == _sequence)
            {
                return MergeResult.AlreadyCurrent;
            }

            if (MirrorLineage.IsAtOrBefore(snapshot.Sequence, _sequence))
            {
                return MergeResult.Stale;
            }

            if (!snapshot.IsFull && snapshot.BaseSequence != _sequence)
            {
                return MergeResult.NeedsFullSync;
            }

            if (snapshot.IsFull)
            {
                _entries.Clear();
                _lastRemoval = snapshot.Sequence;
            }

            foreach (var entry in snapshot.Entries)
            {
                if (!_entries.ContainsKey(entry.Key) && _entries.Count >= _maxEntries)
                {
                    EvictLeastRecentlyUsed(snapshot.Sequence);
                }

                _entries[_keys.Share(entry.Key)] = new Slot(entry.Validator, entry.SizeBytes, entry.Sequence, ++_useClock);
            }

            _sequence = snapshot.Sequence;
            _ownsLineage = false; // the primary's history: continuing it here could fork it (see Fork)
            return MergeResult.Applied;
        }
    }

    private void DropChangesAfter(ulong echoed, ICollection<string>? removed)
    {
        if (echoed == _sequence)
        {
            return;
        }

        // The client may have missed any answer after the one it echoes (lost in transit, or a concurrent
        // request answered out of order): what changed since then is no longer known to be held.
        var doubtful = _entries.Where(e => e.Value.Sequence > echoed).Select(e => e.Key).ToList();
        foreach (var key in doubtful)
        {
            _entries.Remove(key);
            removed?.Add(key);
        }

        if (doubtful.Count > 0)
        {
            _lastRemoval = _sequence + 1;
        }
    }

    private void StartNewLineage(ICollection<string>? removed)
    {
        // No echo, or one from another history (an alternate that is behind, a removed mirror):
        // nothing in this mirror is known to be held by the client.
        if (removed is not null)
        {
            foreach (var key in _entries.Keys)
            {
                removed.Add(key);
            }
        }

        _entries.Clear();
        _sequence = _lastRemoval = _newLineage();
        _ownsLineage = true;
    }

    private void Fork()
    {
        // A history this mirror did not write (merged from the primary), or one that is full: continue in a
        // new lineage, keeping the entries as its base state. Otherwise two nodes could each issue the same
        // next number for different states (an answer of the old primary still in flight after failover).
        var lineage = _newLineage();
        foreach (var key in _entries.Keys.ToList())
        {
            _entries[key] = _entries[key] with { Sequence = lineage };
        }

        _sequence = _lastRemoval = lineage;
        _ownsLineage = true;
    }

    private ulong NextSequence()
    {
        if (!_ownsLineage || MirrorLineage.IsExhausted(_sequence))
        {
            Fork();
        }

        return _sequence + 1;
    }

    private string EvictLeastRecentlyUsed(ulong removedAt)
    {
        var oldest = _entries.MinBy(e => e.Value.LastUse).Key;
        _entries.Remove(oldest);
        _lastRemoval = removedAt;
        return oldest;
    }

    private static MirrorEntry ToEntry(KeyValuePair<string, Slot> e) =>
        new(e.Key, e.Value.Validator, e.Value.SizeBytes, e.Value.Sequence);

    private readonly record struct Slot(ulong Validator, long SizeBytes, ulong Sequence, ulong LastUse);
}
