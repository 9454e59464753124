using ClusterEngine;
using ClusterEngine.Placement;

namespace ClusterPortal.Api;

/// <summary>Body of <c>POST /api/sessions</c>.</summary>
/// <param name="ClientId">The announcing client's id (DESIGN.md §5 rule).</param>
public sealed record SessionRequest(string? ClientId);

/// <summary>A node reference in API answers.</summary>
/// <param name="NodeId">Node id.</param>
/// <param name="Url">Base URL of the node.</param>
public sealed record NodeRef(string NodeId, string Url);

/// <summary>Answer of <c>POST /api/sessions</c> (201 new client, 200 renewed).</summary>
public sealed record SessionResponse(string ClientId, NodeRef Primary, NodeRef? Alternate, int Bounces, string Token, DateTimeOffset TokenExpiresAt);

/// <summary>Answer of <c>GET /api/clients/{clientId}</c>.</summary>
/// <param name="ClientId">The client's id.</param>
/// <param name="Primary">Its primary node.</param>
/// <param name="Alternate">Its alternate node, or null while the cluster has one eligible node.</param>
/// <param name="Version">Assignment version as <c>counter@nodeId</c>.</param>
/// <param name="Bounces">Bounces made when it was placed.</param>
public sealed record ClientResponse(string ClientId, NodeRef Primary, NodeRef? Alternate, string Version, int Bounces);

/// <summary>Mapping from engine values to API shapes.</summary>
internal static class ApiMapping
{
    public static NodeRef Ref(this ClusterState state, string nodeId) => new(nodeId, state.GetNode(nodeId)?.Url ?? "");

    public static ClientResponse ToResponse(this ClusterState state, Assignment a) =>
        new(a.ClientId, state.Ref(a.Primary), a.Alternate is null ? null : state.Ref(a.Alternate), a.Version.ToString(), a.Bounces);
}
