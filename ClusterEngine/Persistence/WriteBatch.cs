using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using ClusterEngine.Placement;

namespace ClusterEngine.Persistence;

/// <summary>
/// Changes taken from the queue for one transaction, coalesced by key in arrival order: the newest
/// version per client for assignments, the last write per node for members, per client the last
/// whole mirror (or its removal) for mirrors, per client the latest last-seen time, and per client its last retry tag
/// (or its removal).
/// </summary>
internal sealed class WriteBatch
{
    public Dictionary<string, AssignmentDelta> Assignments { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, MemberRecord> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>Per client, its last whole mirror to store, or null to delete its row.</summary>
    public Dictionary<string, MirrorSnapshot?> Mirrors { get; } = new(StringComparer.Ordinal);

    /// <summary>Per client, the latest last-seen time to store (seconds since the Unix epoch).</summary>
    public Dictionary<string, long> Seen { get; } = new(StringComparer.Ordinal);

    /// <summary>Per client, its retry tag to store, or null to delete its row.</summary>
    public Dictionary<string, RetryTagRecord?> RetryTags { get; } = new(StringComparer.Ordinal);

    public List<FlushRequest> Flushes { get; } = [];

    /// <summary>
    /// Shared by every caller of <see cref="PersistenceWriter.WhenStoredAsync"/> while this batch is pending: true once the
    /// batch is committed, false when its first attempt failed (or the writer gave it up). Null while nobody waits.
    /// </summary>
    public TaskCompletionSource<bool>? Stored { get; private set; }

    /// <summary>Changes received (before coalescing).</summary>
    public int Received { get; private set; }

    public bool HasData => Assignments.Count + Members.Count + Mirrors.Count + Seen.Count + RetryTags.Count > 0;

    /// <summary>Something to write or to answer: data, a flush request, or a caller waiting for the commit.</summary>
    public bool HasWork => HasData || Flushes.Count > 0 || Stored is not null;

    /// <summary>The batch's commit as a task shared by every caller; the first caller creates it (then returns true in <paramref name="created"/>).</summary>
    public Task<bool> WaitStored(out bool created)
    {
        created = Stored is null;
        Stored ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        return Stored.Task;
    }

    /// <summary>Answers the callers waiting for this batch's commit (once; later calls do nothing).</summary>
    public void CompleteStored(bool committed) => Stored?.TrySetResult(committed);

    /// <summary>Adds one queued item; returns true when it was a flush request (the batch should be written now).</summary>
    public bool Add(object item)
    {
        if (item is FlushRequest flush)
        {
            Flushes.Add(flush);
            return true;
        }

        Received++;
        switch (item)
        {
            case AssignmentDelta d:
                if (!Assignments.TryGetValue(d.ClientId, out var held) || d.Version > held.Version)
                {
                    Assignments[d.ClientId] = d;
                }

                break;
            case MemberRecord m:
                Members[m.NodeId] = m;
                break;
            case MirrorSnapshot m:
                Mirrors[m.ClientId] = m;
                break;
            case ClientRemoved r:
                Mirrors[r.ClientId] = null;
                break;
            case RetryTagRecord tag:
                RetryTags[tag.ClientId] = tag;
                break;
            case RetryTagForgotten forgotten:
                RetryTags[forgotten.ClientId] = null;
                break;
            case ClientSeen seen:
                Seen[seen.ClientId] = Seen.TryGetValue(seen.ClientId, out var stored) ? Math.Max(stored, seen.At) : seen.At;
                break;
            default:
                throw new ArgumentException($"Unsupported change type {item.GetType().Name}.", nameof(item));
        }

        return false;
    }

    public void CompleteFlushes()
    {
        foreach (var flush in Flushes)
        {
            flush.TrySetResult();
        }
    }

    public void FailFlushes(Exception error)
    {
        foreach (var flush in Flushes)
        {
            flush.TrySetException(error);
        }
    }

    public void Clear()
    {
        Assignments.Clear();
        Members.Clear();
        Mirrors.Clear();
        Seen.Clear();
        RetryTags.Clear();
        Flushes.Clear();
        Stored = null;
        Received = 0;
    }
}

/// <summary>A marker in the queue: completed once every change queued before it is committed.</summary>
internal sealed class FlushRequest() : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
