namespace ClusterPortal.Client.Contract;

/// <summary>
/// Answer of <c>POST /api/sessions</c>: 201 for a new client, 200 for a returning one (its token renewed), e.g.
/// <c>{"clientId":"device-0001","primary":{…},"alternate":{…},"bounces":0,"token":"…","tokenExpiresAt":"2026-12-30T02:38:23+00:00"}</c>.
/// </summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Primary">Its primary node (patent Fig. 2–4).</param>
/// <param name="Alternate">Its alternate node (Fig. 5), or null while the cluster has one eligible node.</param>
/// <param name="Bounces">How often the client was bounced when it was placed (Fig. 4).</param>
/// <param name="Token">The bearer token for this client's requests (<c>Authorization: Bearer</c>).</param>
/// <param name="TokenExpiresAt">When the token expires (server clock).</param>
public sealed record SessionResponse(string ClientId, NodeRef Primary, NodeRef? Alternate, int Bounces, string Token, DateTimeOffset TokenExpiresAt);
