namespace ClusterPortal.Client.Contract;

/// <summary>Answer of <c>GET /api/clients/{clientId}</c>: the client's assignment.</summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Primary">Its primary node.</param>
/// <param name="Alternate">Its alternate node, or null while the cluster has one eligible node.</param>
/// <param name="Version">Assignment version as <c>counter@nodeId</c>.</param>
/// <param name="Bounces">Bounces made when it was placed.</param>
public sealed record ClientResponse(string ClientId, NodeRef Primary, NodeRef? Alternate, string Version, int Bounces);
