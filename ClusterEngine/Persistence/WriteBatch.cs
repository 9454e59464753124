using ClusterEngine.Membership;
using ClusterEngine.Placement;

namespace ClusterEngine.Persistence;

/// <summary>
/// Changes taken from the queue for one transaction, coalesced by key in arrival order: the newest
/// version per client for assignments, the last write per node, per client and per (client, key)
/// for the rest. A clear or a client removal inside the batch drops that client's earlier entry
/// writes and deletes its stored rows before the later writes are applied.
/// </summary>
internal sealed class WriteBatch
{
    public Dictionary<string, AssignmentDelta> Assignments { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, MemberRecord> Members { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ClientMirrorChanges> Mirrors { get; } = new(StringComparer.Ordinal);

    public List<FlushRequest> Flushes { get; } = [];

    /// <summary>Changes received (before coalescing).</summary>
    public int Received { get; private set; }

    public bool HasData => Assignments.Count + Members.Count + Mirrors.Count > 0;

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
            case MirrorEntryRecord e:
                Mirror(e.ClientId).Entries[e.Key] = e;
                break;
            case MirrorEntryRemoved r:
                Mirror(r.ClientId).Entries[r.Key] = null;
                break;
            case MirrorClientRecord c:
                var changes = Mirror(c.ClientId);
                (changes.Client, changes.DeleteClient) = (c, false);
                break;
            case MirrorCleared c:
                Mirror(c.ClientId).ClearEntries();
                break;
            case ClientRemoved r:
                var removed = Mirror(r.ClientId);
                removed.ClearEntries();
                (removed.Client, removed.DeleteClient) = (null, true);
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
        Flushes.Clear();
        Received = 0;
    }

    private ClientMirrorChanges Mirror(string clientId)
    {
        if (!Mirrors.TryGetValue(clientId, out var changes))
        {
            changes = new ClientMirrorChanges();
            Mirrors[clientId] = changes;
        }

        return changes;
    }
}

/// <summary>One client's coalesced mirror changes within a batch.</summary>
internal sealed class ClientMirrorChanges
{
    /// <summary>Delete every stored entry of the client before applying <see cref="Entries"/>.</summary>
    public bool DeleteAllEntries { get; private set; }

    /// <summary>Delete the client's sequence row (when <see cref="Client"/> is null).</summary>
    public bool DeleteClient { get; set; }

    /// <summary>The last sequence record, or null.</summary>
    public MirrorClientRecord? Client { get; set; }

    /// <summary>Last write per key: a record to upsert, or null to delete.</summary>
    public Dictionary<string, MirrorEntryRecord?> Entries { get; } = new(StringComparer.Ordinal);

    public void ClearEntries()
    {
        Entries.Clear();
        DeleteAllEntries = true;
    }
}

/// <summary>A marker in the queue: completed once every change queued before it is committed.</summary>
internal sealed class FlushRequest() : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
