namespace ClusterPortal.Security;

/// <summary>Authentication scheme and policy names.</summary>
public static class AuthSchemes
{
    /// <summary><c>Authorization: Bearer</c> client token (docs/architecture.md §5).</summary>
    public const string ClientToken = "ClientToken";

    /// <summary><c>X-Admin-Key</c> header (docs/architecture.md §6).</summary>
    public const string AdminKey = "AdminKey";

    /// <summary>Peer node on the backplane (credential derived from <c>Cluster:Key</c>).</summary>
    public const string Peer = "Peer";

    /// <summary>Policy: a peer node.</summary>
    public const string PeerPolicy = "Peer";

    /// <summary>Admin login cookie of the dashboard.</summary>
    public const string AdminCookie = "AdminCookie";

    /// <summary>Default scheme: forwards to the client token, admin key or admin cookie scheme by what the request carries.</summary>
    public const string Default = "Portal";

    /// <summary>Name of the admin login cookie.</summary>
    public const string AdminCookieName = "ClusterPortal.Admin";

    /// <summary>Claim carrying the client id a token is bound to.</summary>
    public const string ClientIdClaim = "client_id";

    /// <summary>Policy: admin key or admin login.</summary>
    public const string AdminPolicy = "Admin";

    /// <summary>Policy: the client itself (token bound to the route's client id) or an admin.</summary>
    public const string ClientPolicy = "Client";

    /// <summary>Policy: read-only views (<c>Portal:AnonymousView</c>).</summary>
    public const string ViewerPolicy = "Viewer";

    /// <summary>Header carrying the admin key.</summary>
    public const string AdminKeyHeader = "X-Admin-Key";
}
