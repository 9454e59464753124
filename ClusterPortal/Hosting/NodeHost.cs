using ClusterEngine;
using ClusterPortal.LocalCluster;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Hosting;

/// <summary>
/// One cluster node (docs/architecture.md §11: with <c>Cluster:NodeId</c> set the process is exactly one node): builds the
/// portal host, validates every option, takes the data directory's lock and runs until stopped. Operator
/// mistakes end with one line on standard error and exit code 2, never a stack trace.
/// </summary>
internal static class NodeHost
{
    /// <summary>Runs the node with <paramref name="args"/> as its command-line configuration.</summary>
    /// <returns>0 after a normal stop; 1 when the node stopped itself (e.g. no URL to advertise); 2 for a bad setting, a data
    /// directory in use, an address in use, a store the node cannot read or write (<see cref="StoreStartFailure"/>), or one
    /// it must not start from (another cluster's, a newer build's: <see cref="ClusterEngine.Persistence.StoreRefusedException"/>).</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = NodeContentRoot.For(args, Directory.GetCurrentDirectory(), AppContext.BaseDirectory),
        });

        // A value the binder cannot convert, from appsettings.json or the environment (the command line was checked before):
        // one line naming the key and exit 2, never the binder's stack trace (docs/identity.md, "Operator input").
        if (Cli.ConfigurationKeys.Default.ValueProblems(builder.Configuration) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync($"Configuration error: {problem}");
            }

            return 2;
        }

        var dataDirectory = NodeDataDirectory.Of(builder.Configuration);
        var postgres = string.Equals(builder.Configuration["Persistence:Provider"], "PostgreSql", StringComparison.OrdinalIgnoreCase);
        IHostApplicationLifetime? lifetime = null; // once built
        try
        {
            builder.AddClusterPortal(); // creates files in the data directory (its data-protection keys): a failure there is the store's
            builder.AddLocalClusterWatchdog();
            var app = builder.Build();
            lifetime = app.Lifetime;
            app.Services.GetService<IStartupValidator>()?.Validate(); // every ValidateOnStart option, before the host logs a failed start
            var cluster = app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
            dataDirectory = NodeDataDirectory.Of(cluster);
            var holder = $"{cluster.NodeId} on {cluster.AdvertisedUrl ?? app.Configuration["urls"] ?? "the default URL"}";
            using var dataLock = DataDirectoryLock.Acquire(NodeDataDirectory.Of(cluster), DataDirectoryLock.NodeLockName, holder);
            using var schemaLock = app.Services.GetService<ClusterEngine.Persistence.NodeDatabaseTarget>() is { Provider: ClusterEngine.Persistence.PersistenceProvider.PostgreSql } target
                ? SchemaLock.Acquire(target, holder, app.Services.GetRequiredService<IOptions<ClusterEngine.Persistence.PersistenceOptions>>().Value.LockKeepAlive)
                : null;
            app.Services.GetRequiredService<NodeLockWatch>().Watch(dataLock, schemaLock);

            app.UseClusterPortal();
            await app.RunAsync();
            return Environment.ExitCode;
        }
        catch (OptionsValidationException ex)
        {
            // A bad setting is the operator's to fix: one line per failure naming the key, no stack trace.
            foreach (var failure in ex.Failures)
            {
                await Console.Error.WriteLineAsync($"Configuration error: {failure}");
            }

            return 2;
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // A value no check above knew (a section bound by a library): the binder names the key in its message.
            await Console.Error.WriteLineAsync($"Configuration error: {ex.Message}");
            return 2;
        }
        catch (DataDirectoryInUseException ex)
        {
            await Console.Error.WriteLineAsync($"Configuration error: Cluster:DataDirectory {ex.Message}");
            return 2;
        }
        catch (SchemaInUseException ex)
        {
            await Console.Error.WriteLineAsync($"Configuration error: Persistence:Schema: {ex.Message}");
            return 2;
        }
        catch (OperationCanceledException) when (lifetime is { ApplicationStarted.IsCancellationRequested: false, ApplicationStopping.IsCancellationRequested: true })
        {
            // A stop asked for before the start finished (SIGTERM while the node was still migrating its store or catching up):
            // the host cancels its start. Not a failure unless the node itself asked (its exit code then); was "Stopped without
            // finishing … shutdown timeout" and exit code 1 (found by SchemaLockWatchTests).
            await Console.Error.WriteLineAsync("Stopped before the start finished.");
            return Environment.ExitCode;
        }
        catch (OperationCanceledException ex)
        {
            // The stop outlived the host's shutdown timeout (Cluster:LeaveBudget + 8 s) and a hosted service's StopAsync
            // threw at its cancellation (Hangfire's server did, under an attack that kept the leave from finishing): one
            // line and exit code 1, not an unhandled exception with a stack trace.
            await Console.Error.WriteLineAsync($"Stopped without finishing: the stop took longer than the shutdown timeout ({ex.Message}).");
            return 1;
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException)
        {
            await Console.Error.WriteLineAsync($"Cannot start: {ex.Message} Another process listens there (another node?): choose another --urls.");
            return 2;
        }
        catch (ClusterEngine.Persistence.StoreRefusedException ex)
        {
            // Another cluster's store, or a newer build's (StoreOwner, NodeDatabase): the message says what to do.
            await Console.Error.WriteLineAsync($"Cannot start: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (StoreStartFailure.Describe(ex, dataDirectory, postgres) is { } line)
        {
            await Console.Error.WriteLineAsync(line);
            return 2;
        }
    }
}
