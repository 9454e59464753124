using System.Diagnostics;
using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterEngine.Persistence;

/// <summary>
/// The restore step of the node's start (see <see cref="NodeLifecycle"/>): loads the stored members and assignments
/// into this node's <see cref="ClusterState"/> (and <see cref="MemberList"/> when the node has a backplane), then the
/// stored cache mirrors into the <see cref="MirrorStore"/> when the node has a data path. Reconciliation with the peers
/// follows when the node joins (patent Fig. 7).
/// </summary>
/// <param name="loader">Reads the node's database.</param>
/// <param name="state">This node's cluster view.</param>
/// <param name="members">The gossiped member list; null when the node has no backplane.</param>
/// <param name="mirrors">The node's mirrors; null when the node has no data path.</param>
/// <param name="logger">Reports how long each part took (the start-up time of a node with many clients).</param>
public sealed class PersistenceRestorer(PersistenceLoader loader, ClusterState state, MemberList? members = null, MirrorStore? mirrors = null,
    ILogger<PersistenceRestorer>? logger = null)
{
    /// <summary>Restores members, assignments and mirrors.</summary>
    /// <param name="cancellationToken">Cancels the load.</param>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var assignments = await loader.RestoreAsync(state, members, cancellationToken);
        var assignmentsDone = Stopwatch.GetTimestamp();
        var clients = mirrors is null ? 0 : await mirrors.RestoreAsync(loader, cancellationToken);
        var mirrorsMs = Stopwatch.GetElapsedTime(assignmentsDone).TotalMilliseconds;
        var assignmentsMs = Stopwatch.GetElapsedTime(started, assignmentsDone).TotalMilliseconds;
        PersistenceLog.StateRestored(logger ?? (ILogger)NullLogger.Instance, assignments, assignmentsMs, clients, mirrorsMs);
    }
}
