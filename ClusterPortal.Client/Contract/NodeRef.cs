namespace ClusterPortal.Client.Contract;

/// <summary>A node as an answer names it: <c>{"nodeId":"node-1","url":"http://127.0.0.1:5101"}</c>.</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Url">The node's base URL; a client talks to its primary there directly.</param>
public sealed record NodeRef(string NodeId, string Url);
