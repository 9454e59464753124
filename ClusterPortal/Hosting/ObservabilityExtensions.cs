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
            metrics.AddMeter(PortalInstruments.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
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
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains(NodeReadyHealthCheck.Tag) }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(Security.AuthSchemes.ViewerPolicy);
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/api-reference").AllowAnonymous();
        return app;
    }
}
