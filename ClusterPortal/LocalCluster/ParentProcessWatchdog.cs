using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace ClusterPortal.LocalCluster;

/// <summary>
/// In a node started by the local cluster launcher (<c>LocalCluster:ParentPid</c> set): stops the node
/// when the launcher process is gone, so that children do not outlive a killed launcher (polls every second).
/// </summary>
internal sealed partial class ParentProcessWatchdog(
    IOptions<LocalClusterOptions> options, IHostApplicationLifetime lifetime, ILogger<ParentProcessWatchdog> logger) : BackgroundService
{
    /// <summary>The polling period.</summary>
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ParentPid is not { } pid)
        {
            return;
        }

        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!IsRunning(pid))
            {
                LogParentGone(logger, pid);
                lifetime.StopApplication();
                return;
            }
        }
    }

    /// <summary>Whether a process with id <paramref name="pid"/> is running.</summary>
    internal static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = LogEvents.ParentGone, Level = LogLevel.Warning, Message = "The local cluster launcher (pid {Pid}) is gone: stopping this node")]
    private static partial void LogParentGone(ILogger logger, int pid);
}

/// <summary>Registration of <see cref="ParentProcessWatchdog"/>.</summary>
internal static class ParentProcessWatchdogExtensions
{
    /// <summary>Adds the parent-process watchdog when <c>LocalCluster:ParentPid</c> is set (nodes started by the launcher).</summary>
    public static WebApplicationBuilder AddLocalClusterWatchdog(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(LocalClusterOptions.SectionName);
        if (section[nameof(LocalClusterOptions.ParentPid)] is not null)
        {
            builder.Services.AddOptions<LocalClusterOptions>().Bind(section);
            builder.Services.AddHostedService<ParentProcessWatchdog>();
        }

        return builder;
    }
}
