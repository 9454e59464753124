using ClusterEngine.Membership;
using ClusterEngine.Placement;
using Microsoft.Extensions.Hosting;

namespace ClusterEngine.Persistence;

/// <summary>
/// Feeds the <see cref="PersistenceWriter"/> from the engine: every assignment change (local or
/// merged) and every member-list change. Never blocks the request path beyond the writer's queue.
/// </summary>
internal sealed class PersistenceSink(PersistenceWriter writer, IServiceProvider services) : IClusterChangeSink, IHostedService
{
    private MemberList? _members;

    public void OnAssignmentsChanged(IReadOnlyList<AssignmentDelta> changes, bool local)
    {
        if (_stopped)
        {
            return; // Shutting down: peers hold these changes; this node reconciles on its next start.
        }

        try
        {
            foreach (var change in changes)
            {
                writer.Enqueue(change);
            }
        }
        catch (InvalidOperationException) when (writer.IsStopped)
        {
            // A peer's late delta during shutdown: the peers hold it; this node catches up on its next start.
        }
    }

    private volatile bool _stopped;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _members = (MemberList?)services.GetService(typeof(MemberList));
        if (_members is not null)
        {
            _members.Changed += OnMembersChanged;
            OnMembersChanged(_members.All);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        if (_members is not null)
        {
            _members.Changed -= OnMembersChanged;
        }

        return Task.CompletedTask;
    }

    private void OnMembersChanged(IReadOnlyList<MemberRecord> changed)
    {
        if (_stopped || writer.IsStopped)
        {
            return;
        }

        foreach (var member in changed)
        {
            writer.Enqueue(member);
        }
    }
}
