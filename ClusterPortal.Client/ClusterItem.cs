using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client;

/// <summary>An item as <see cref="ClusterClient.GetItemAsync"/> returns it.</summary>
/// <param name="Key">The item key, e.g. <c>weather/city-1.json</c>.</param>
/// <param name="Content">The item's bytes (from the answer, or from the local cache after a 304).</param>
/// <param name="ETag">The item's strong ETag (the quoted CRC-64 <see cref="ItemValidator"/>).</param>
/// <param name="ContentType">The media type the node gave, or null when unknown.</param>
/// <param name="FromCache">True when the node answered 304 and <paramref name="Content"/> is the cached copy.</param>
/// <param name="ServedBy">The node that decided the answer (<c>X-Served-By</c>), or null.</param>
public sealed record ClusterItem(string Key, ReadOnlyMemory<byte> Content, string ETag, string? ContentType, bool FromCache, string? ServedBy);

/// <summary>Counters of one <see cref="ClusterClient"/> since it was created.</summary>
/// <param name="Requests">Item requests answered with 200 or 304.</param>
/// <param name="NotModified">Of those, 304 answers (the cached copy was used).</param>
/// <param name="BytesReceived">Item body bytes received in 200 answers (a delta counts its own size).</param>
/// <param name="BytesSaved">Item bytes not sent because of a 304.</param>
/// <param name="Failovers">Operations answered by another node than the session's primary after an attempt failed.</param>
/// <param name="Retries">Failed attempts that were retried.</param>
/// <param name="TokenRenewals">Tokens renewed (before expiry, or after a 401).</param>
/// <param name="Errors">Item requests that failed (threw <see cref="ClusterClientException"/>) after all retries.</param>
/// <param name="Deltas">200 answers that came as a delta against the cached copy (<c>Content-Encoding: dcz</c>, RFC 9842).</param>
/// <param name="BytesSavedByDeltas">Item bytes not sent because of deltas (each item's size minus its delta's), apart from <paramref name="BytesSaved"/>.</param>
public readonly record struct ClusterClientStatistics(long Requests, long NotModified, long BytesReceived, long BytesSaved,
    long Failovers, long Retries, long TokenRenewals, long Errors, long Deltas = 0, long BytesSavedByDeltas = 0);

/// <summary>An operation of <see cref="ClusterClient"/> failed after its retries, or the cluster refused it.</summary>
public sealed class ClusterClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClusterClientException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public ClusterClientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause (the last attempt's exception).</param>
    public ClusterClientException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an HTTP answer.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="statusCode">The HTTP status the node answered.</param>
    public ClusterClientException(string message, int statusCode)
        : base(message) => StatusCode = statusCode;

    /// <summary>Creates the exception for an HTTP answer with problem details.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="statusCode">The HTTP status the node answered.</param>
    /// <param name="problem">The answer's problem details, or null.</param>
    public ClusterClientException(string message, int statusCode, ApiProblem? problem)
        : base(message)
    {
        StatusCode = statusCode;
        Problem = problem;
    }

    /// <summary>The HTTP status of the last answer, or null when no node answered.</summary>
    public int? StatusCode { get; }

    /// <summary>The node's problem details (title, detail, the fields it refused), or null when the answer had none.</summary>
    public ApiProblem? Problem { get; }
}
