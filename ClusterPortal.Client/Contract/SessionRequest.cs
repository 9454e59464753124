using System.Text.Json.Serialization;

namespace ClusterPortal.Client.Contract;

/// <summary>Body of <c>POST /api/sessions</c> (announce, log on, renew): <c>{"clientId":"device-0001"}</c>, optionally with <c>"retryKey"</c>.</summary>
/// <param name="ClientId">The announcing client's id (<see cref="ClientIds"/>); null only when a client sent none.</param>
/// <param name="RetryKey">The device's announce retry key (<see cref="RetryKeys"/>), or null (then not written): repeating the
/// announce of a new id with the same key and no token gets the token of the registration the key made, if the first answer was lost.</param>
public sealed record SessionRequest(
    string? ClientId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RetryKey = null);
