using ClusterEngine.Changes;

namespace ClusterEngine.Persistence;

/// <summary>
/// Feeds the <see cref="PersistenceWriter"/> from the change stream: every assignment change (local or merged) and
/// every member-record change. Never blocks the request path beyond the writer's queue. Once the writer has stopped
/// (shutting down) changes are dropped: the peers hold them, and this node reconciles on its next start.
/// </summary>
internal sealed class PersistenceObserver(PersistenceWriter writer) : IClusterChangeObserver
{
    public void OnChange(ClusterChange change)
    {
        if (writer.IsStopped)
        {
            return;
        }

        try
        {
            switch (change)
            {
                case AssignmentsChanged { Deltas: var deltas }:
                    foreach (var delta in deltas)
                    {
                        writer.Enqueue(delta);
                    }

                    break;
                case MemberChanged { Record: var member }:
                    writer.Enqueue(member);
                    break;
            }
        }
        catch (InvalidOperationException) when (writer.IsStopped)
        {
            // The writer stopped between the check and the enqueue (shutting down): see the summary.
        }
    }
}
