namespace ClusterEngine.Membership;

/// <summary>
/// Work a graceful leave does before this node's clients are handed to their alternates, while peers still see this
/// node as their primary (the mirror sync registers one: the alternates take over with their mirrors in step).
/// Registered in the container; the leave awaits each, bounded by <c>Cluster:HandOverTimeout</c>.
/// </summary>
public interface IHandOverPreparation
{
    /// <summary>Prepares the hand-over.</summary>
    /// <param name="cancellationToken">Fires at the hand-over deadline.</param>
    Task PrepareAsync(CancellationToken cancellationToken);
}
