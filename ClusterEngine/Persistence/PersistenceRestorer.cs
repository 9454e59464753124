using ClusterEngine.Membership;
using ClusterEngine.Mirroring;

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
public sealed class PersistenceRestorer(PersistenceLoader loader, ClusterState state, MemberList? members = null, MirrorStore? mirrors = null)
{
    /// <summary>Restores members, assignments and mirrors.</summary>
    /// <param name="cancellationToken">Cancels the load.</param>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        await loader.RestoreAsync(state, members, cancellationToken);
        if (mirrors is not null)
        {
            await mirrors.RestoreAsync(loader, cancellationToken);
        }
    }
}
