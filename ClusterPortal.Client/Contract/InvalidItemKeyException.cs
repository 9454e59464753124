namespace ClusterPortal.Client.Contract;

/// <summary>
/// A text that is not an item key, or a key whose path leaves the origin root (<see cref="ItemKeyError"/>). The API answers
/// it with a 4xx; it is never a "not found" (an origin returns <see langword="null"/> for that).
/// </summary>
public sealed class InvalidItemKeyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidItemKeyException()
        : this(null, ItemKeyError.Empty)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public InvalidItemKeyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidItemKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a refused key.</summary>
    /// <param name="key">The refused text (may be <see langword="null"/>).</param>
    /// <param name="error">The rule it breaks.</param>
    public InvalidItemKeyException(string? key, ItemKeyError error)
        : base($"'{key}' is not a valid item key: {error}.")
    {
        Key = key;
        Error = error;
    }

    /// <summary>The refused text.</summary>
    public string? Key { get; }

    /// <summary>The rule it breaks.</summary>
    public ItemKeyError Error { get; }
}
