using System.Diagnostics;
using System.Runtime;
using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using ClusterEngine.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterEngine.Persistence;

/// <summary>
/// The restore step of the node's start (see <see cref="NodeLifecycle"/>): loads the stored members and assignments
/// into this node's <see cref="ClusterState"/> (and <see cref="MemberList"/> when the node has a backplane), then the
/// stored cache mirrors into the <see cref="MirrorStore"/> when the node has a data path, and last the retry tags the node
/// keeps as a claim holder (<see cref="RetryTags"/>, checked against the restored assignments). Reconciliation with the
/// peers follows when the node joins (patent Fig. 7).
/// </summary>
/// <remarks>
/// The two parts touch different tables and different in-memory structures, so they run side by side (each on its own
/// connection; about 7 and 10.5 s side by side for a million clients on SQLite, README "Scale figures"). A restore of many rows
/// leaves its reading garbage behind in the older generations; one compacting collection afterwards
/// (<see cref="CompactAfterRestore"/> rows or more) gives that memory back before the node serves.
/// </remarks>
/// <param name="loader">Reads the node's database.</param>
/// <param name="state">This node's cluster view.</param>
/// <param name="members">The gossiped member list; null when the node has no backplane.</param>
/// <param name="mirrors">The node's mirrors; null when the node has no data path.</param>
/// <param name="logger">Reports how long each part took (the start-up time of a node with many clients).</param>
/// <param name="retryTags">The retry tags of this claim holder; null when the node has no backplane.</param>
/// <param name="owner">Checks first that the store is this cluster's (<see cref="StoreOwner"/>); null skips the check.</param>
public sealed class PersistenceRestorer(PersistenceLoader loader, ClusterState state, MemberList? members = null, MirrorStore? mirrors = null,
    ILogger<PersistenceRestorer>? logger = null, RetryTags? retryTags = null, StoreOwner? owner = null)
{
    /// <summary>Stored assignments plus mirrors from which a restore ends with a compacting collection: 100,000.</summary>
    public const int CompactAfterRestore = 100_000;

    /// <summary>Restores members, assignments and mirrors.</summary>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <exception cref="StoreRefusedException">The store is another cluster's or a newer build's: nothing was restored.</exception>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        if (owner is not null)
        {
            await owner.EnsureAsync(cancellationToken);
        }

        var assignmentsPart = Task.Run(() => TimedAsync(() => loader.RestoreAsync(state, members, cancellationToken)), cancellationToken);
        var mirrorsPart = mirrors is null
            ? Task.FromResult((Count: 0, Ms: 0.0))
            : Task.Run(() => TimedAsync(() => mirrors.RestoreAsync(loader, cancellationToken)), cancellationToken);
        await Task.WhenAll(assignmentsPart, mirrorsPart); // both end before a failure surfaces
        var (assignments, assignmentsMs) = await assignmentsPart;
        var (clients, mirrorsMs) = await mirrorsPart;
        if (retryTags is not null)
        {
            retryTags.Restore(await loader.ReadRetryTagsAsync(cancellationToken), state); // after the assignments it is checked against
        }

        if (assignments + clients >= CompactAfterRestore)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        PersistenceLog.StateRestored(logger ?? (ILogger)NullLogger.Instance, assignments, assignmentsMs, clients, mirrorsMs);
    }

    private static async Task<(int Count, double Ms)> TimedAsync(Func<Task<int>> part)
    {
        var started = Stopwatch.GetTimestamp();
        var count = await part();
        return (count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
