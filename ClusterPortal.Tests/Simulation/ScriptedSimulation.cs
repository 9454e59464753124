using ClusterEngine.Membership;
using ClusterPortal.Hosting;
using ClusterPortal.Simulation;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterPortal.Tests.Simulation;

/// <summary>
/// Stands in for <see cref="LoadSimulator.RunAsync"/> inside a real <see cref="SimulationRunner"/>: the test reports
/// progress and ends the run when it wants, and sees the options the runner passed on.
/// </summary>
public sealed class ScriptedSimulation
{
    public const string NodeUrl = "http://127.0.0.1:5101";
    public const string AdminKey = "scripted-admin-key-0123456789";
    private readonly TaskCompletionSource<SimulationSnapshot> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedSimulation()
    {
        var address = new LocalNodeAddress();
        address.Set(NodeUrl);
        Runner = new SimulationRunner(address, Microsoft.Extensions.Options.Options.Create(new PortalOptions { AdminKey = AdminKey }), NullLogger<SimulationRunner>.Instance, RunAsync,
            CancellationToken.None);
    }

    public SimulationRunner Runner { get; }

    /// <summary>The options of the last run, as the runner passed them.</summary>
    public SimulationOptions? Options { get; private set; }

    public IProgress<SimulationSnapshot>? Progress { get; private set; }

    public bool Cancelled { get; private set; }

    /// <summary>Completes once the runner has called the run (on its background task) and <see cref="Progress"/> is set.</summary>
    public Task Started => _started.Task.WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Thrown by the run instead of a summary, when set.</summary>
    public Exception? Failure { get; set; }

    public void End(SimulationSnapshot summary) => _end.TrySetResult(summary);

    public static SimulationSnapshot Snapshot(double elapsedSeconds, long requests, long notModified, bool finished = false) =>
        new(TimeSpan.FromSeconds(elapsedSeconds), TimeSpan.FromSeconds(30), 20, 18, requests, notModified, requests * 1000, notModified * 1000,
            Failovers: 1, Retries: 2, Errors: 0, ItemsChanged: 3, LogOffs: 4, finished);

    private Task<SimulationSnapshot> RunAsync(SimulationOptions options, IProgress<SimulationSnapshot> progress, CancellationToken cancellationToken)
    {
        Options = options;
        Progress = progress;
        _started.TrySetResult();
        if (Failure is not null)
        {
            return Task.FromException<SimulationSnapshot>(Failure);
        }

        cancellationToken.Register(() =>
        {
            Cancelled = true;
            _end.TrySetResult(Snapshot(1, 10, 5, finished: true));
        });
        return _end.Task;
    }
}
