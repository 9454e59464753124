namespace ClusterEngine.Persistence;

/// <summary>
/// The node's store is not one this node may start from: written with a cluster key it neither uses nor accepts (<see cref="StoreOwner"/>)
/// or by a newer build (<see cref="NodeDatabase"/>). Thrown at start, before anything is restored; the message is for the
/// operator (what was found, where, and what to do) and the node exits with code 2.
/// </summary>
public sealed class StoreRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreRefusedException()
    {
    }

    /// <summary>Creates the exception with the operator's message.</summary>
    /// <param name="message">What was found, where, and what to do.</param>
    public StoreRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the operator's message and its cause.</summary>
    /// <param name="message">What was found, where, and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public StoreRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
