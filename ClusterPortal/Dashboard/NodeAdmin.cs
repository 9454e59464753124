using ClusterEngine;
using ClusterEngine.Membership;
using ClusterPortal.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClusterPortal.Dashboard;

/// <summary>Outcome of an admin action from the dashboard.</summary>
/// <param name="Succeeded">True when the change was made.</param>
/// <param name="Error">The server's message when it was refused (shown on the form).</param>
/// <param name="FieldErrors">Messages per field (<c>url</c>, <c>capacity</c>, <c>name</c>) for validation failures.</param>
/// <param name="StatusCode">The HTTP status the same request gets from <c>/api/nodes</c>.</param>
public sealed record AdminOutcome(bool Succeeded, string? Error, IReadOnlyDictionary<string, string[]> FieldErrors, int StatusCode)
{
    /// <summary>The first message for <paramref name="field"/>, or null.</summary>
    public string? ErrorFor(string field) => FieldErrors.TryGetValue(field, out var messages) ? messages.FirstOrDefault() : null;
}

/// <summary>The dashboard's admin forms: the same rules and answers as <c>POST/PATCH/DELETE /api/nodes</c>.</summary>
public interface INodeAdmin
{
    /// <summary>Adds a running node (<c>POST /api/nodes</c>).</summary>
    Task<AdminOutcome> AddAsync(string? url, int? capacity, string? name, CancellationToken cancellationToken);

    /// <summary>Changes capacity and/or mode (<c>PATCH /api/nodes/{nodeId}</c>).</summary>
    Task<AdminOutcome> UpdateAsync(string nodeId, int? capacity, NodeMode? mode, CancellationToken cancellationToken);

    /// <summary>Removes a node (<c>DELETE /api/nodes/{nodeId}</c>).</summary>
    Task<AdminOutcome> RemoveAsync(string nodeId, CancellationToken cancellationToken);
}

/// <summary>Runs the admin forms through the <see cref="NodesApi"/> handlers, so form and API can never disagree.</summary>
internal sealed class NodeAdmin(MembershipAdmin admin, ClusterState state) : INodeAdmin
{
    private static readonly Dictionary<string, string[]> s_none = [];

    public async Task<AdminOutcome> AddAsync(string? url, int? capacity, string? name, CancellationToken cancellationToken) =>
        ToOutcome((await NodesApi.Add(new AddNodeRequest(url?.Trim(), capacity, string.IsNullOrWhiteSpace(name) ? null : name.Trim()), admin, state, null, cancellationToken)).Result);

    public async Task<AdminOutcome> UpdateAsync(string nodeId, int? capacity, NodeMode? mode, CancellationToken cancellationToken) =>
        ToOutcome((await NodesApi.Update(nodeId, new UpdateNodeRequest(capacity, mode), admin, state, null, cancellationToken)).Result);

    public async Task<AdminOutcome> RemoveAsync(string nodeId, CancellationToken cancellationToken) =>
        ToOutcome((await NodesApi.Remove(nodeId, admin, null, cancellationToken)).Result);

    private static AdminOutcome ToOutcome(IResult result) => result switch
    {
        ValidationProblem v => new(false, v.ProblemDetails.Errors.Values.SelectMany(m => m).FirstOrDefault() ?? "The input is not valid.", v.ProblemDetails.Errors.ToDictionary(), v.StatusCode),
        ProblemHttpResult p => new(false, p.ProblemDetails.Detail ?? p.ProblemDetails.Title, s_none, p.StatusCode),
        IStatusCodeHttpResult s => new(true, null, s_none, s.StatusCode ?? 200),
        _ => new(true, null, s_none, 200),
    };
}
