namespace ClusterPortal.ClusterBench;

/// <summary>The baseline: a minimal WebApplication forwarding everything to one upstream with YARP's direct forwarding.</summary>
internal static class PlainYarp
{
    public static async Task RunAsync(string url, string upstream)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.MapGet("/health/ready", () => "ok");
        app.MapForwarder("/{**catch-all}", upstream);
        await app.RunAsync(url);
    }
}
