using ClusterEngine;
using ClusterEngine.Placement;
using ClusterPortal.Client.Contract;

namespace ClusterPortal.Api;

/// <summary>Mapping from engine values to the wire contract's shapes (<see cref="ClientResponse"/>, <see cref="NodeRef"/>).</summary>
internal static class ApiMapping
{
    public static NodeRef Ref(this ClusterState state, string nodeId) => new(nodeId, state.Members.UrlOf(nodeId) ?? "");

    public static ClientResponse ToResponse(this ClusterState state, Assignment a) =>
        new(a.ClientId, state.Ref(a.Primary), a.Alternate is null ? null : state.Ref(a.Alternate), a.Version.ToString(), a.Bounces);
}
