namespace ClusterPortal.Client.Contract;

/// <summary>
/// The client API's paths, relative to a node's base URL (no leading slash), with ids and keys escaped as the
/// node expects: the client id with <see cref="Uri.EscapeDataString(string)"/>, the item key per segment
/// (<see cref="ItemKey.ToUrlPath"/>).
/// </summary>
public static class ClusterPaths
{
    /// <summary><c>POST</c>: announce, log on, renew (<see cref="SessionRequest"/> → <see cref="SessionResponse"/>).</summary>
    public const string Sessions = "api/sessions";

    /// <summary><c>DELETE</c>: log off.</summary>
    /// <param name="clientId">The client id.</param>
    /// <returns>The path.</returns>
    public static string Session(string clientId) => $"{Sessions}/{Uri.EscapeDataString(clientId)}";

    /// <summary><c>GET</c>: the client's assignment (<see cref="ClientResponse"/>).</summary>
    /// <param name="clientId">The client id.</param>
    /// <returns>The path.</returns>
    public static string Client(string clientId) => $"api/clients/{Uri.EscapeDataString(clientId)}";

    /// <summary><c>GET</c>/<c>HEAD</c>: an item, 200 or 304.</summary>
    /// <param name="clientId">The client id.</param>
    /// <param name="key">The item key.</param>
    /// <returns>The path.</returns>
    public static string Item(string clientId, ItemKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return $"{Client(clientId)}/items/{key.ToUrlPath()}";
    }

    /// <summary><c>DELETE</c>: the client cleared its cache; the answer carries the new mirror sequence.</summary>
    /// <param name="clientId">The client id.</param>
    /// <returns>The path.</returns>
    public static string Mirror(string clientId) => $"{Client(clientId)}/mirror";
}
