using ClusterEngine.Persistence;
using ClusterPortal.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClusterPortal.Hosting;

/// <summary>
/// Writes that must persist (docs/persistence.md): while the node database is unavailable
/// (<see cref="PersistenceWriter.IsAvailable"/> is false), a new client's announce and the operator's membership
/// changes answer 503 with <c>Retry-After</c> — the node must not promise what it cannot store. Everything else (item
/// requests with their 200/304s, renewals, log-offs, reads, the dashboard) is served from memory meanwhile; the writer
/// holds those changes and writes them when the database is back (docs/persistence.md).
/// </summary>
internal static class DurableWrites
{
    /// <summary>Refuses the endpoint's requests with 503 while the node database is unavailable.</summary>
    public static TBuilder RequireDurableStore<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) => Refusal(context.HttpContext) ?? await next(context));

    /// <summary>The 503 to answer now, or null while the node database is available.</summary>
    public static ProblemHttpResult? Refusal(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return Refusal(http, http.RequestServices.GetService<PersistenceWriter>());
    }

    /// <summary>The 503 to answer now, or null while <paramref name="writer"/> (the node's, resolved by the caller) is available.</summary>
    public static ProblemHttpResult? Refusal(HttpContext http, PersistenceWriter? writer)
    {
        ArgumentNullException.ThrowIfNull(http);
        return writer is { IsAvailable: false }
            ? Problems.Unavailable(http, "The node database is unavailable; this change must persist. Retry later or at another node.",
                (int)writer.RetryAfter.TotalSeconds)
            : null;
    }
}

/// <summary>
/// Part of <c>/health/ready</c>: Degraded (still 200, the node keeps serving from memory) while the node database is
/// unavailable, or since its SQLite file was deleted or moved under the node (<see cref="NodeLockWatch.Problem"/>), so
/// operators and probes can see it without the node being taken out of the shared address.
/// </summary>
internal sealed class NodeDatabaseHealthCheck(PersistenceWriter writer, NodeDatabaseTarget target, NodeLockWatch? watch = null) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            watch?.Problem is { } problem ? HealthCheckResult.Degraded($"{target.Provider} {problem}")
            : writer.IsAvailable ? HealthCheckResult.Healthy($"{target.Provider} {target.Description}")
            : HealthCheckResult.Degraded($"{target.Provider} {target.Description} is unavailable; changes are held in memory"));
}
