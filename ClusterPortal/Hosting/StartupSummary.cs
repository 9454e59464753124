using ClusterEngine;
using ClusterEngine.Mirroring;
using ClusterEngine.Origin;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Hosting;

/// <summary>
/// Once the node listens, logs its effective settings in three lines (identity and addresses; placement and
/// timing; data, origin and mirrors) so an operator sees what a start actually used. Never a key: only whether
/// one is set is implied by the node having started.
/// </summary>
internal sealed partial class StartupSummary(
    IServer server, IHostApplicationLifetime lifetime, IHostEnvironment environment, IOptions<ClusterOptions> cluster, IOptions<OriginOptions> origin,
    IOptions<MirrorOptions> mirror, IOptions<PortalOptions> portal, ClusterEngine.Membership.MemberList members, ILogger<StartupSummary> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Write);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Write()
    {
        var c = cluster.Value;
        var o = origin.Value;
        var m = mirror.Value;
        var addresses = string.Join(" ", server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
        var seeds = c.Seeds.Count == 0 ? "none" : string.Join(" ", c.Seeds);
        var (heartbeat, failure) = (c.HeartbeatInterval.TotalMilliseconds, c.FailureTimeout.TotalMilliseconds);
        var data = Path.GetFullPath(NodeDataDirectory.Of(c));
        var source = o.Kind == OriginKind.Http ? o.BaseUrl?.ToString() ?? "?" : o.Root ?? "?";
        var detail = m.SyncPolicy switch
        {
            MirrorSyncPolicy.EveryNTransactions => $"every {m.SyncEvery} requests",
            MirrorSyncPolicy.Periodic => $"every {m.SyncInterval}",
            _ => "",
        };
        LogIdentity(c.NodeId ?? "?", c.NodeName ?? c.NodeId ?? "?", addresses, c.AdvertisedUrl ?? "the first address", seeds, environment.EnvironmentName);
        // A member's capacity is stored cluster-wide (PATCH /api/nodes): a restarted member keeps it whatever the command
        // line says, so the line shows the one in force and names the configured one when they differ.
        var inForce = members.Get(c.NodeId ?? "")?.Capacity ?? c.Capacity;
        var capacity = inForce == c.Capacity
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{inForce} clients")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{inForce} clients (stored cluster-wide; Cluster:Capacity {c.Capacity} applies only to a new member)");
        LogPlacement(capacity, c.AdmissionThreshold, c.MaxBounces, c.MaxConcurrentRequests, c.BusyThreshold, heartbeat, failure, portal.Value.AnonymousView);
        LogData(data, o.Kind, source, m.SyncPolicy, detail);
    }

    [LoggerMessage(EventId = LogEvents.Identity, Level = LogLevel.Information, Message = "Node {NodeId} ({Name}) listening on {Addresses}, advertised as {Advertised}; seeds {Seeds}; environment {Environment}")]
    private partial void LogIdentity(string nodeId, string name, string addresses, string advertised, string seeds, string environment);

    [LoggerMessage(EventId = LogEvents.Placement, Level = LogLevel.Information, Message = "Capacity {Capacity}; admission threshold {Admission}, max bounces {MaxBounces}; {MaxConcurrent} concurrent requests (busy at {Busy}); heartbeat {HeartbeatMs} ms, failure timeout {FailureMs} ms; anonymous view {AnonymousView}")]
    private partial void LogPlacement(string capacity, double admission, int maxBounces, int maxConcurrent, double busy, double heartbeatMs, double failureMs, AnonymousView anonymousView);

    [LoggerMessage(EventId = LogEvents.Data, Level = LogLevel.Information, Message = "Data in {DataDirectory}; origin {OriginKind} {OriginSource}; mirror sync {Policy} {PolicyDetail}")]
    private partial void LogData(string dataDirectory, OriginKind originKind, string originSource, MirrorSyncPolicy policy, string policyDetail);
}
