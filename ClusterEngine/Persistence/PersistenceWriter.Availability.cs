namespace ClusterEngine.Persistence;

/// <summary>
/// Whether the database answers (<see cref="IsAvailable"/>: a commit failed or ran past
/// <see cref="PersistenceOptions.CommitWait"/>), and the answers that wait for it: those that must be durable before they
/// are sent (a new client's 201, docs/persistence.md "What an answer promises") wait in <see cref="WhenStoredAsync"/> and
/// are released when the database fails or stops answering.
/// </summary>
public sealed partial class PersistenceWriter
{
    /// <summary>
    /// False while the database is unavailable: the last write failed and is being retried, or a commit has run longer
    /// than <see cref="PersistenceOptions.CommitWait"/>; true again once a commit succeeds. Requests whose changes must
    /// persist are refused meanwhile (503 with <see cref="RetryAfter"/>); everything else goes on from memory and the
    /// writer holds its changes until the database is back.
    /// </summary>
    public bool IsAvailable => Volatile.Read(ref _unavailableSince) == 0;

    /// <summary>
    /// Gives the store up at once: nothing pending or changed later is written (a commit in progress completes; answers
    /// waiting for a commit learn it did not happen, flushes fail), and the writer touches the database no more. For a
    /// node that found another process owning its store (its schema or data directory taken while its claim was lost,
    /// ClusterPortal's NodeLockWatch): writing on, its graceful leave among it, would overwrite that process's rows.
    /// Changes are still accepted (and dropped) until the writer stops, so a stopping node's callers never fail. Idempotent.
    /// </summary>
    public void Relinquish()
    {
        if (!_relinquished)
        {
            _relinquished = true;
            PersistenceLog.Relinquished(_logger);
        }
    }

    private volatile bool _relinquished;

    /// <summary>After <see cref="Relinquish"/>: ends the database session and drops <paramref name="batch"/> unwritten (true).</summary>
    private bool DroppedAsRelinquished(WriteBatch batch)
    {
        if (!_relinquished)
        {
            return false;
        }

        EndSession();
        batch.FailFlushes(new InvalidOperationException("The store was given up to another process (Relinquish)."));
        batch.CompleteStored(committed: false);
        return true;
    }

    /// <summary>While <see cref="IsAvailable"/> is false: when the writer tries again, rounded up to whole seconds (at least 1 s).</summary>
    public TimeSpan RetryAfter => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(TimeSpan.FromTicks(Volatile.Read(ref _retryDelayTicks)).TotalSeconds)));

    /// <summary>
    /// Completes when the changes queued before this call are committed (true), or as soon as the database turns out
    /// unavailable (false: a commit failed, or ran longer than <see cref="PersistenceOptions.CommitWait"/>; the changes
    /// stay queued and are written when it answers again, see <see cref="IsAvailable"/>). Unlike <see cref="FlushAsync"/>
    /// it never waits out an outage, and every caller while one batch is pending shares one task: what a request that
    /// must be durable before it is answered waits for (a new client's 201, docs/persistence.md "What an answer
    /// promises"). The pending batch is written at once, not after <see cref="PersistenceOptions.MaxDelay"/>; under load
    /// the callers of one commit gather behind the one in progress. False at once while the database is unavailable, and
    /// when the writer was never started or has stopped.
    /// </summary>
    public Task<bool> WhenStoredAsync()
    {
        if (Volatile.Read(ref _started) == 0 || !IsAvailable)
        {
            return Task.FromResult(false);
        }

        lock (_pendingGate)
        {
            if (_closed)
            {
                return Task.FromResult(false);
            }

            var stored = _pending.WaitStored(out var created);
            if (created)
            {
                if (!_pending.HasData && _pending.Flushes.Count == 0)
                {
                    _firstPendingAt = _time.GetTimestamp();
                }

                Monitor.PulseAll(_pendingGate); // the committer writes this batch now instead of after MaxDelay
            }

            return stored;
        }
    }

    /// <summary>True while the committer writes a batch (or retries one): for tests that need a commit under way.</summary>
    internal bool IsCommitting
    {
        get
        {
            lock (_pendingGate)
            {
                return _inFlightSince != 0;
            }
        }
    }

    /// <summary>
    /// The database failed or stopped answering: the answers waiting for <paramref name="running"/>'s commit and for the
    /// pending batch behind it are sent now (false) instead of after the outage. Callers from now on get false at once
    /// (<see cref="IsAvailable"/> is already false). Their changes stay queued.
    /// </summary>
    private void ReleaseWaiters(WriteBatch? running)
    {
        lock (_pendingGate)
        {
            running?.CompleteStored(committed: false);
            _inFlightStored?.TrySetResult(false);
            _pending.CompleteStored(committed: false);
        }
    }

    /// <summary>
    /// <see cref="PersistenceOptions.CommitWait"/> after a commit started (timer thread): if that commit still runs, the
    /// database counts as unavailable (error 3108, as for a failed commit; a commit that then succeeds logs 3109) and the
    /// answers waiting are released. A hung PostgreSQL server or a SQLite file locked by another process otherwise held
    /// every new client's 201 for as long as the commit's own timeout (a minute in an attack on a stopped server).
    /// </summary>
    private void OnCommitOverdue()
    {
        double runningMs;
        int changes;
        lock (_pendingGate)
        {
            if (_inFlightSince == 0)
            {
                _watchArmed = false; // no commit runs (the next one arms the timer again)
                return;
            }

            var running = _time.GetElapsedTime(_inFlightSince);
            if (running < _options.CommitWait)
            {
                _commitWatch?.Change(_options.CommitWait - running, Timeout.InfiniteTimeSpan); // a later commit started since
                return;
            }

            _watchArmed = false;
            (runningMs, changes) = (running.TotalMilliseconds, _inFlightChanges);
        }

        Volatile.Write(ref _retryDelayTicks, _options.CommitWait.Ticks);
        if (Interlocked.CompareExchange(ref _unavailableSince, _time.GetTimestamp(), 0) == 0)
        {
            PersistenceLog.DatabaseUnavailable(_logger,
                new TimeoutException($"A commit has run for {runningMs:F0} ms, longer than Persistence:CommitWait ({_options.CommitWait.TotalMilliseconds:F0} ms)."),
                _database.Target.Description, changes, _options.CommitWait.TotalMilliseconds);
        }

        ReleaseWaiters(null);
    }

    private void MarkUnavailable(Exception error, int changes, TimeSpan retryDelay)
    {
        Volatile.Write(ref _retryDelayTicks, retryDelay.Ticks);
        if (Interlocked.CompareExchange(ref _unavailableSince, _time.GetTimestamp(), 0) == 0)
        {
            PersistenceLog.DatabaseUnavailable(_logger, error, _database.Target.Description, changes, retryDelay.TotalMilliseconds);
        }
        else
        {
            PersistenceLog.WriteFailed(_logger, error, changes, retryDelay.TotalMilliseconds);
        }

        try
        {
            _database.ResetConnections();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            PersistenceLog.WriteFailed(_logger, e, changes, retryDelay.TotalMilliseconds);
        }
    }

    private void MarkAvailable(int changes)
    {
        var since = Interlocked.Exchange(ref _unavailableSince, 0);
        if (since != 0)
        {
            var outageMs = _time.GetElapsedTime(since).TotalMilliseconds;
            PersistenceLog.DatabaseRestored(_logger, outageMs, changes);
        }
    }
}
