namespace ClusterEngine.Placement;

/// <summary>Column a <see cref="ClientQuery"/> sorts by.</summary>
public enum ClientSort
{
    /// <summary>Client id (ordinal).</summary>
    ClientId = 0,

    /// <summary>Primary node id, then client id.</summary>
    Primary = 1,

    /// <summary>Alternate node id (none first), then client id.</summary>
    Alternate = 2,

    /// <summary>Bounces, then client id.</summary>
    Bounces = 3,

    /// <summary>Last seen (never first), then client id.</summary>
    LastSeen = 4,
}

/// <summary>Which node role a <see cref="ClientQuery"/> node filter matches.</summary>
public enum ClientRole
{
    /// <summary>Primary or alternate.</summary>
    Any = 0,

    /// <summary>Only clients whose primary is the node.</summary>
    Primary = 1,

    /// <summary>Only clients whose alternate is the node.</summary>
    Alternate = 2,
}

/// <summary>A page request over the assignment table (dashboard Clients page, <c>GET /api/clients</c>).</summary>
/// <param name="Skip">Matching rows to skip (page × page size).</param>
/// <param name="Take">Rows to return (page size, ≥ 1).</param>
/// <param name="Search">Case-insensitive client-id substring, or null/empty for all.</param>
/// <param name="NodeId">Only clients with a role on this node, or null for all.</param>
/// <param name="Role">Which role <paramref name="NodeId"/> must have.</param>
/// <param name="Sort">Sort column.</param>
/// <param name="Descending">Sort descending.</param>
public sealed record ClientQuery(int Skip, int Take, string? Search = null, string? NodeId = null,
    ClientRole Role = ClientRole.Any, ClientSort Sort = ClientSort.ClientId, bool Descending = false);

/// <summary>One row of a <see cref="ClientQueryResult"/>.</summary>
/// <param name="Assignment">The client's assignment.</param>
/// <param name="LastSeen">When this node last saw the client, or null when it has not.</param>
public sealed record ClientRow(Assignment Assignment, DateTimeOffset? LastSeen);

/// <summary>A page of clients and the number of matches over all pages.</summary>
/// <param name="Rows">The page, in the requested order.</param>
/// <param name="Total">Matching clients.</param>
public sealed record ClientQueryResult(IReadOnlyList<ClientRow> Rows, int Total);
