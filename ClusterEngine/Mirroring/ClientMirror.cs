namespace ClusterEngine.Mirroring;

/// <summary>
/// One client's mirror (patent Fig. 9 and 10): per item key the validator and size the client holds,
/// bounded with least-recently-used eviction, versioned by a sequence number (see <see cref="CacheMirror"/>).
/// Invariant: the entries at sequence N are a subset of what the client holds once it received the answer carrying N.
/// </summary>
/// <remarks>
/// Shaped for a million clients per node (README, "Scale figures"): the entries are one array of 24-byte slots kept in
/// recency order (least recently used first; a use moves its slot to the end, an eviction takes the first), searched
/// linearly — a mirror is small (<see cref="MirrorOptions.MaxEntriesPerClient"/>, 16 entries typical) and a search
/// compares the key by reference first (keys are pooled). The object is its own lock (a monitor costs nothing until
/// contended), and what all clients share sits in one <see cref="Shared"/> object.
/// </remarks>
internal sealed partial class ClientMirror
{
    private readonly Shared _shared;
    private Slot[] _slots = [];
    private int _count;
    private ulong _sequence;
    private ulong _lastRemoval;
    private bool _ownsLineage = true;

    public ClientMirror(Shared shared, ulong sequence)
    {
        _shared = shared;
        _sequence = _lastRemoval = sequence;
    }

    public ulong Sequence
    {
        get
        {
            lock (this)
            {
                return _sequence;
            }
        }
    }

    public MirrorDecision Decide(string key, ulong currentValidator, ulong? echoedSequence)
    {
        lock (this)
        {
            if (echoedSequence != _sequence)
            {
                return new(MirrorDecisionReason.SequenceMismatch, _sequence);
            }

            var i = IndexOf(key);
            if (i < 0)
            {
                return new(MirrorDecisionReason.NotInMirror, _sequence);
            }

            if (_slots[i].Validator != currentValidator)
            {
                return new(MirrorDecisionReason.Changed, _sequence) { HeldValidator = _slots[i].Validator };
            }

            Touch(i);
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
        lock (this)
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
            Put(new Slot(_shared.Keys.Share(key), validator, sizeBytes, (uint)next), next, removed);
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
        lock (this)
        {
            sequence = _sequence;
            return IsRepeat(key, validator, sizeBytes, echoedSequence, inProtocol);
        }
    }

    private bool IsRepeat(string key, ulong validator, long sizeBytes, ulong? echoedSequence, bool inProtocol)
    {
        if (echoedSequence != _sequence && (echoedSequence is not null || inProtocol))
        {
            return false;
        }

        var i = IndexOf(key);
        if (i < 0 || _slots[i].Validator != validator || _slots[i].Size != Slot.Clamp(sizeBytes))
        {
            return false;
        }

        Touch(i);
        return true;
    }

    public ulong Clear()
    {
        lock (this)
        {
            var next = NextSequence();
            Array.Clear(_slots, 0, _count);
            _count = 0;
            return _sequence = _lastRemoval = next;
        }
    }

    /// <summary>The entries, most recently used first.</summary>
    public IReadOnlyList<MirrorEntry> Entries()
    {
        lock (this)
        {
            var entries = new MirrorEntry[_count];
            for (var i = 0; i < _count; i++)
            {
                entries[i] = _slots[_count - 1 - i].ToEntry(_sequence);
            }

            return entries;
        }
    }

    public MirrorSnapshot ChangesSince(string clientId, ulong checkpoint)
    {
        lock (this)
        {
            var isDelta = MirrorLineage.IsAtOrBefore(checkpoint, _sequence) && checkpoint >= _lastRemoval;
            var entries = new List<MirrorEntry>(isDelta ? 0 : _count);
            for (var i = 0; i < _count; i++)
            {
                if (!isDelta || _slots[i].Counter > (uint)checkpoint) // a delta's checkpoint is of this lineage
                {
                    entries.Add(_slots[i].ToEntry(_sequence));
                }
            }

            return new MirrorSnapshot(clientId, !isDelta, isDelta ? checkpoint : 0, _sequence, entries);
        }
    }

    public MergeResult Merge(MirrorSnapshot snapshot)
    {
        lock (this)
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

            // Every slot first: a malformed entry (a null key from a peer) throws here, before the mirror changes — a
            // half-merged mirror would vouch under its old sequence for entries of the new state.
            var incoming = new Slot[snapshot.Entries.Count];
            for (var i = 0; i < incoming.Length; i++)
            {
                incoming[i] = Slot.Of(snapshot.Entries[i], snapshot.Sequence, _shared.Keys);
            }

            if (snapshot.IsFull)
            {
                Array.Clear(_slots, 0, _count);
                _count = 0;
                _lastRemoval = snapshot.Sequence;
                if (_slots.Length < snapshot.Entries.Count)
                {
                    _slots = new Slot[Math.Min(snapshot.Entries.Count, _shared.MaxEntries)];
                }
            }

            foreach (var slot in incoming)
            {
                Put(slot, snapshot.Sequence, removed: null);
            }

            _sequence = snapshot.Sequence;
            _ownsLineage = false; // the primary's history: continuing it here could fork it (see Fork)
            return MergeResult.Applied;
        }
    }

    /// <summary>A new mirror in a stored state (see <see cref="CacheMirror.Restore"/>); not yet shared, so built without its lock.</summary>
    public static ClientMirror Restored(Shared shared, ulong sequence, ReadOnlySpan<MirrorEntry> entries)
    {
        var mirror = new ClientMirror(shared, sequence) { _ownsLineage = false };
        var kept = entries.Length > shared.MaxEntries ? entries[^shared.MaxEntries..] : entries; // the most recent ones
        mirror._slots = kept.IsEmpty ? [] : new Slot[kept.Length];
        foreach (var entry in kept)
        {
            mirror.Put(Slot.Of(entry, sequence, shared.Keys), sequence, removed: null);
        }

        mirror._lastRemoval = sequence;
        return mirror;
    }

    /// <summary>Sets the slot's key to <paramref name="slot"/> as the most recently used, evicting the least recently used when full.</summary>
    private void Put(Slot slot, ulong removedAt, ICollection<string>? removed)
    {
        var i = IndexOf(slot.Key);
        if (i >= 0)
        {
            RemoveAt(i);
        }
        else if (_count >= _shared.MaxEntries)
        {
            removed?.Add(_slots[0].Key);
            RemoveAt(0);
            _lastRemoval = removedAt;
        }

        if (_count == _slots.Length)
        {
            Array.Resize(ref _slots, Math.Min(Math.Max(4, _slots.Length * 2), _shared.MaxEntries));
        }

        _slots[_count++] = slot;
    }

    private void DropChangesAfter(ulong echoed, ICollection<string>? removed)
    {
        if (echoed == _sequence)
        {
            return;
        }

        // The client may have missed any answer after the one it echoes (lost in transit, or a concurrent
        // request answered out of order): what changed since then is no longer known to be held.
        var kept = 0;
        for (var i = 0; i < _count; i++)
        {
            if (_slots[i].Counter > (uint)echoed) // the caller checked that the echo is of this lineage
            {
                removed?.Add(_slots[i].Key);
            }
            else
            {
                _slots[kept++] = _slots[i];
            }
        }

        if (kept < _count)
        {
            Array.Clear(_slots, kept, _count - kept);
            _count = kept;
            _lastRemoval = _sequence + 1;
        }
    }

    private void StartNewLineage(ICollection<string>? removed)
    {
        // No echo, or one from another history (an alternate that is behind, a removed mirror):
        // nothing in this mirror is known to be held by the client.
        for (var i = 0; i < _count; i++)
        {
            removed?.Add(_slots[i].Key);
        }

        Array.Clear(_slots, 0, _count);
        _count = 0;
        _sequence = _lastRemoval = _shared.NewLineage();
        _ownsLineage = true;
    }

    private void Fork()
    {
        // A history this mirror did not write (merged from the primary), or one that is full: continue in a
        // new lineage, keeping the entries as its base state. Otherwise two nodes could each issue the same
        // next number for different states (an answer of the old primary still in flight after failover).
        var lineage = _shared.NewLineage();
        for (var i = 0; i < _count; i++)
        {
            _slots[i].Counter = 0; // the new lineage's first state
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

    /// <summary>The slot holding <paramref name="key"/>, searched from the most recently used, or -1.</summary>
    private int IndexOf(string key)
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            if (string.Equals(_slots[i].Key, key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Marks slot <paramref name="i"/> as the most recently used (moves it to the end).</summary>
    private void Touch(int i)
    {
        if (i == _count - 1)
        {
            return;
        }

        var used = _slots[i];
        Array.Copy(_slots, i + 1, _slots, i, _count - 1 - i);
        _slots[_count - 1] = used;
    }

    private void RemoveAt(int i)
    {
        Array.Copy(_slots, i + 1, _slots, i, _count - 1 - i);
        _slots[--_count] = default;
    }
}
