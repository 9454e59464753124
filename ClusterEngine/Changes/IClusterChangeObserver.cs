namespace ClusterEngine.Changes;

/// <summary>
/// A consumer of the <see cref="ClusterChanges"/>, registered in the container (the stream takes every registered
/// observer in its constructor). Called synchronously on the thread that made the change, in the order of changes, and
/// often on the request path: an implementation handles the records it knows, ignores the rest, and never blocks
/// (enqueue and return).
/// </summary>
public interface IClusterChangeObserver
{
    /// <summary>Handles one applied change.</summary>
    /// <param name="change">The change.</param>
    void OnChange(ClusterChange change);
}
