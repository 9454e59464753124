namespace ClusterPortal.Client.Contract;

/// <summary>Body of <c>POST /api/sessions</c> (announce, log on, renew): <c>{"clientId":"device-0001"}</c>.</summary>
/// <param name="ClientId">The announcing client's id (<see cref="ClientIds"/>); null only when a client sent none.</param>
public sealed record SessionRequest(string? ClientId);
