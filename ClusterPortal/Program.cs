using ClusterPortal.Hosting;
using ClusterPortal.LocalCluster;
using ClusterPortal.Simulation;

// `simulate …` drives simulated devices (the client SDK) against a running cluster (DESIGN.md §11).
if (SimulateCommand.IsRequested(args))
{
    return await SimulateCommand.RunAsync(args);
}

// Without Cluster:NodeId (and no subcommand) this process launches a local cluster of child nodes (DESIGN.md §11).
if (LocalClusterLauncher.IsRequested(args))
{
    return await LocalClusterLauncher.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddClusterPortal();
builder.AddLocalClusterWatchdog();

try
{
    var app = builder.Build();
    app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate(); // every ValidateOnStart option, before the host logs a failed start
    app.UseClusterPortal();
    await app.RunAsync();
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    // A bad setting is the operator's to fix: one line per failure naming the key, no stack trace.
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync($"Configuration error: {failure}");
    }

    return 2;
}

/// <summary>Entry point; public for WebApplicationFactory in tests.</summary>
public partial class Program;
