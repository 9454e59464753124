using ClusterPortal.Metrics;
using OpenTelemetry.Metrics;
using Scalar.AspNetCore;

namespace ClusterPortal.Hosting;

/// <summary>Metrics (OpenTelemetry: Prometheus scrape, OTLP when configured), health checks, OpenAPI.</summary>
internal static class ObservabilityExtensions
{
    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<PortalInstruments>();
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            // "System.Runtime": the runtime's own instruments (GC heap sizes, working set, thread pool), so an operator sees a
            // node's memory next to its traffic (README, "Scale figures").
            metrics.AddMeter(PortalInstruments.MeterName, ClusterEngine.Backplane.BackplaneCallMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime");
            metrics.AddPrometheusExporter();
            if (!string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            {
                metrics.AddOtlpExporter();
            }
        });
        services.AddHealthChecks().AddCheck<NodeReadyHealthCheck>("node", tags: [NodeReadyHealthCheck.Tag])
            .AddCheck<NodeDatabaseHealthCheck>("database", tags: [NodeReadyHealthCheck.Tag]);
        services.AddOpenApi();
        return services;
    }

    public static WebApplication MapObservability(this WebApplication app)
    {
        // X-Served-By on the live check: a seed dials a joining node here and adds it only when the node itself answers
        // (ClusterEngine.Membership.AdvertisedUrlProbe; docs/identity.md, "Joining").
        var nodeId = app.Services.GetRequiredService<ClusterEngine.ClusterState>().LocalNodeId;
        app.MapHealthChecks("/health/live", new()
        {
            Predicate = _ => false,
            ResponseWriter = (http, report) =>
            {
                http.Response.Headers[ClusterPortal.Client.Contract.ClusterHeaders.ServedBy] = nodeId;
                http.Response.ContentType = "text/plain";
                return http.Response.WriteAsync(report.Status.ToString());
            },
        }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains(NodeReadyHealthCheck.Tag) }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(Security.AuthSchemes.ViewerPolicy);
        app.MapOpenApi().AllowAnonymous();
        // The reference of this API only: no vendor features ("Ask AI" agent, MCP, the developer toolbar with
        // "Deploy"/"Generate SDK", the client button), no telemetry; the UI bundle is served by the node itself.
        app.MapScalarApiReference("/api-reference", scalar =>
        {
            scalar.Title = "ClusterPortal API";
            scalar.ShowDeveloperTools = DeveloperToolsVisibility.Never;
            scalar.Agent = new ScalarAgentOptions { Disabled = true };
            scalar.Mcp = new ScalarMcpOptions { Disabled = true };
            scalar.HideClientButton = true;
            scalar.Telemetry = false;
        }).AllowAnonymous();
        return app;
    }
}
