namespace ClusterPortal.Client;

/// <summary>A node as a session names it.</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Url">The node's base URL, used to talk to it directly.</param>
public sealed record NodeEndpoint(string NodeId, Uri Url);

/// <summary>What the cluster told the client at its last logon or renewal (<c>POST /api/sessions</c>).</summary>
/// <param name="ClientId">The client id.</param>
/// <param name="Primary">The client's primary node.</param>
/// <param name="Alternate">Its alternate node, or null while the cluster has one eligible node.</param>
/// <param name="Token">The bearer token for this client.</param>
/// <param name="IssuedAt">When the client received the token (client clock).</param>
/// <param name="ExpiresAt">When the token expires (server clock).</param>
public sealed record ClientSession(string ClientId, NodeEndpoint Primary, NodeEndpoint? Alternate, string Token, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);
