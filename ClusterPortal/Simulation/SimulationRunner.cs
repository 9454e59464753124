using ClusterEngine.Membership;
using ClusterPortal.Hosting;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Simulation;

/// <summary>
/// The dashboard's "Simulate load" action: runs at most one <see cref="LoadSimulator"/> per node at a time, in the
/// background, against this node's own advertised URL with this node's admin key. A run ends with its duration,
/// <see cref="Stop"/>, or the host stopping; an error ends it with a message (<see cref="LastError"/>) and never
/// reaches the host. The last summary is kept after the run.
/// </summary>
public sealed partial class SimulationRunner : IDisposable
{
    /// <summary>Most simulated devices one dashboard run may start (they run inside this node's process).</summary>
    public const int MaxClients = 5000;

    private readonly LocalNodeAddress _address;
    private readonly IOptions<PortalOptions> _portal;
    private readonly CancellationToken _hostStopping;
    private readonly ILogger<SimulationRunner> _logger;
    private readonly TimeProvider _time;
    private readonly Func<SimulationOptions, IProgress<SimulationSnapshot>, CancellationToken, Task<SimulationSnapshot>> _run;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _stop;
    private Func<SimulationSnapshot>? _live;
    private SimulationSnapshot? _latest;

    /// <summary>Creates the runner of this node (registered as a singleton).</summary>
    /// <param name="address">This node's advertised URL, the run's target.</param>
    /// <param name="portal">Supplies <see cref="PortalOptions.AdminKey"/> for publishing the run's items.</param>
    /// <param name="lifetime">A run is cancelled when the host stops.</param>
    /// <param name="logger">Logs start, end and failure of runs.</param>
    /// <param name="time">The simulator's clock (duration, progress interval, think times).</param>
    public SimulationRunner(LocalNodeAddress address, IOptions<PortalOptions> portal, IHostApplicationLifetime lifetime, ILogger<SimulationRunner> logger,
        TimeProvider time)
        : this(address, portal, logger, null, lifetime.ApplicationStopping, time)
    {
    }

    /// <summary>Test seam: <paramref name="run"/> replaces <see cref="LoadSimulator.RunAsync"/> when given.</summary>
    internal SimulationRunner(LocalNodeAddress address, IOptions<PortalOptions> portal, ILogger<SimulationRunner> logger,
        Func<SimulationOptions, IProgress<SimulationSnapshot>, CancellationToken, Task<SimulationSnapshot>>? run, CancellationToken hostStopping, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _address = address;
        _portal = portal;
        _hostStopping = hostStopping;
        _logger = logger;
        _run = run ?? RunSimulatorAsync;
    }

    /// <summary>Raised (on a background thread) when a run starts, makes progress (every <see cref="SimulationOptions.ProgressInterval"/>) or ends.</summary>
    public event Action? Changed;

    /// <summary>True while a run is in progress (including the publishing of its items before the devices start).</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _stop is not null;
            }
        }
    }

    /// <summary>Progress of the running simulation, else the last run's summary; null before the first run.</summary>
    public SimulationSnapshot? Current
    {
        get
        {
            lock (_gate)
            {
                return _live?.Invoke() ?? _latest;
            }
        }
    }

    /// <summary>The summary of the last finished run (<see cref="SimulationSnapshot.Finished"/>); null before any run ended normally.</summary>
    public SimulationSnapshot? LastSummary { get; private set; }

    /// <summary>Why the last run ended with an error (e.g. the items could not be published), or null.</summary>
    public string? LastError { get; private set; }

    /// <summary>The settings of the running or last run (target and admin key filled in by the runner).</summary>
    public SimulationOptions? Options { get; private set; }

    /// <summary>
    /// Starts a run in the background against this node's advertised URL with this node's admin key;
    /// <see cref="SimulationOptions.Target"/> and <see cref="SimulationOptions.AdminKey"/> of <paramref name="options"/> are replaced.
    /// </summary>
    /// <param name="options">Devices (1..<see cref="MaxClients"/>), duration, cache mirror and the other settings of the run.</param>
    /// <returns>Null when the run started; otherwise why it was refused (a run is in progress, this node's address or admin key is missing, bad settings).</returns>
    public string? Start(SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Clients > MaxClients)
        {
            return $"At most {MaxClients} clients can be simulated from the dashboard (was {options.Clients}).";
        }

        if (!_address.Resolved.IsCompletedSuccessfully)
        {
            return "This node's address is not known yet; try again in a moment.";
        }

        if (string.IsNullOrEmpty(_portal.Value.AdminKey))
        {
            return "This node has no admin key (Portal:AdminKey), which the simulation needs to publish its items.";
        }

        options.Target.Clear();
        options.Target.Add(new Uri(_address.Resolved.Result));
        options.AdminKey = _portal.Value.AdminKey;
        if (options.Problems() is { Count: > 0 } problems)
        {
            return string.Join(" ", problems);
        }

        CancellationTokenSource stop;
        lock (_gate)
        {
            if (_stop is not null)
            {
                return "A simulation is already running on this node; stop it or wait until it ends.";
            }

            stop = CancellationTokenSource.CreateLinkedTokenSource(_hostStopping);
            _stop = stop;
            _latest = null;
            Options = options;
            LastError = null;
        }

        LogStarted(options.Clients, options.Duration.TotalSeconds, options.Target[0]);
        _ = Task.Run(() => RunAsync(options, stop), CancellationToken.None);
        OnChanged();
        return null;
    }

    /// <summary>Ends the running simulation early (its summary covers what ran); does nothing when none runs.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stop?.Cancel();
        }
    }

    /// <summary>Cancels a running simulation.</summary>
    public void Dispose() => Stop();

    private async Task RunAsync(SimulationOptions options, CancellationTokenSource stop)
    {
        try
        {
            var summary = await _run(options, new Reporter(this), stop.Token);
            lock (_gate)
            {
                LastSummary = summary;
                _latest = summary;
            }

            LogFinished(summary.Requests, summary.Errors);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped before the devices started (while the items were published).
            LastError = "Stopped before the devices started.";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LastError = ex.Message;
            LogFailed(ex);
        }
        finally
        {
            lock (_gate)
            {
                _stop = null;
                _live = null;
            }

            stop.Dispose();
            OnChanged();
        }
    }

    private async Task<SimulationSnapshot> RunSimulatorAsync(SimulationOptions options, IProgress<SimulationSnapshot> progress, CancellationToken cancellationToken)
    {
        var simulator = new LoadSimulator(options, _time);
        lock (_gate)
        {
            _live = () => simulator.Current;
        }

        return await simulator.RunAsync(progress, cancellationToken);
    }

    private void SetLatest(SimulationSnapshot snapshot)
    {
        lock (_gate)
        {
            _latest = snapshot;
        }
    }

    private void OnChanged()
    {
        try
        {
            Changed?.Invoke();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSubscriberFailed(ex);
        }
    }

    /// <summary>Keeps each reported snapshot and raises <see cref="Changed"/> on the reporting thread.</summary>
    private sealed class Reporter(SimulationRunner runner) : IProgress<SimulationSnapshot>
    {
        public void Report(SimulationSnapshot value)
        {
            runner.SetLatest(value);
            runner.OnChanged();
        }
    }

    [LoggerMessage(EventId = LogEvents.SimulationRunnerStarted, Level = LogLevel.Information, Message = "Simulation started: {Clients} clients for {DurationSeconds} s against {Target}")]
    private partial void LogStarted(int clients, double durationSeconds, Uri target);

    [LoggerMessage(EventId = LogEvents.Finished, Level = LogLevel.Information, Message = "Simulation finished: {Requests} requests, {Errors} errors")]
    private partial void LogFinished(long requests, long errors);

    [LoggerMessage(EventId = LogEvents.Failed, Level = LogLevel.Warning, Message = "Simulation ended with an error")]
    private partial void LogFailed(Exception error);

    [LoggerMessage(EventId = LogEvents.SubscriberFailed, Level = LogLevel.Warning, Message = "A simulation progress subscriber failed")]
    private partial void LogSubscriberFailed(Exception error);
}
