using ClusterEngine;
using ClusterEngine.Changes;
using ClusterEngine.Membership;

namespace ClusterPortal.Dashboard;

/// <summary>
/// Samples this node's cluster view and every node's traffic once per <see cref="Interval"/> for the
/// dashboard pages and <c>/hubs/feed</c>: the current sample (cards, tables) and a history of the last
/// minutes (charts). Every page of every circuit shares one sampler instead of polling on its own: each sample is
/// published on the node's <see cref="ClusterChanges"/> as a <see cref="DashboardSampled"/>.
/// </summary>
public sealed partial class DashboardSampler : BackgroundService
{
    /// <summary>Time between samples.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Every this many samples one goes into <see cref="History"/> (every 5 s).</summary>
    public const int HistoryEvery = 5;

    /// <summary>History points kept (72 × 5 s = the last 6 minutes).</summary>
    public const int HistoryLength = 72;

    private readonly Lock _gate = new();
    private readonly ClusterState _state;
    private readonly Func<string, NodeTraffic?> _traffic;
    private readonly TimeProvider _time;
    private readonly ClusterChanges _changes;
    private readonly ILogger _logger;
    private readonly Queue<DashboardSample> _history = new();
    private readonly Dictionary<string, (long Timestamp, long Requests)> _last = new(StringComparer.Ordinal);
    private DashboardSample _current = DashboardSample.Empty;
    private long _samples;

    /// <summary>Creates a sampler over <paramref name="state"/>.</summary>
    /// <param name="state">This node's cluster view.</param>
    /// <param name="traffic">A node's traffic totals by node id (null when not known).</param>
    /// <param name="time">Clock.</param>
    /// <param name="changes">Where each sample is published.</param>
    /// <param name="logger">Logs a failed sample; none when null.</param>
    public DashboardSampler(ClusterState state, Func<string, NodeTraffic?> traffic, TimeProvider time, ClusterChanges changes, ILogger<DashboardSampler>? logger = null)
    {
        (_state, _traffic, _time, _changes) = (state, traffic, time, changes);
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The latest sample (taken now when there is none yet).</summary>
    public DashboardSample Current
    {
        get
        {
            lock (_gate)
            {
                if (!ReferenceEquals(_current, DashboardSample.Empty))
                {
                    return _current;
                }
            }

            return SampleNow();
        }
    }

    /// <summary>History points, oldest first.</summary>
    public IReadOnlyList<DashboardSample> History
    {
        get
        {
            lock (_gate)
            {
                return [.. _history];
            }
        }
    }

    /// <summary>Number of history points recorded so far (changes when <see cref="History"/> does).</summary>
    public long HistoryVersion { get; private set; }

    /// <summary>Takes a sample now, records it and publishes it (<see cref="DashboardSampled"/>).</summary>
    public DashboardSample SampleNow()
    {
        DashboardSample sample;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var nodes = _state.Nodes.Select(status =>
            {
                var traffic = _traffic(status.NodeId) ?? NodeTraffic.Zero;
                var rate = 0d;
                if (_last.TryGetValue(status.NodeId, out var last) && traffic.Requests >= last.Requests)
                {
                    var seconds = _time.GetElapsedTime(last.Timestamp, now).TotalSeconds;
                    rate = seconds > 0 ? (traffic.Requests - last.Requests) / seconds : 0;
                }

                _last[status.NodeId] = (now, traffic.Requests);
                return new NodeSample(status, traffic, rate);
            }).ToList();
            // Peers report their own totals: a sum that would pass long.MaxValue saturates instead of throwing (docs/identity.md, "Operator input").
            var totals = new ClusterTotalsSample(_state.ClientCount, SaturatedSum(nodes, n => n.Traffic.Requests), SaturatedSum(nodes, n => n.Traffic.NotModified),
                SaturatedSum(nodes, n => n.Traffic.BytesSent), SaturatedSum(nodes, n => n.Traffic.BytesSaved), nodes.Sum(n => n.RequestsPerSecond));
            sample = new DashboardSample(_time.GetUtcNow(), nodes, totals);
            _current = sample;
            if (_samples++ % HistoryEvery == 0)
            {
                _history.Enqueue(sample);
                while (_history.Count > HistoryLength)
                {
                    _history.Dequeue();
                }

                HistoryVersion++;
            }
        }

        _changes.Publish(new DashboardSampled(sample));
        return sample;
    }

    /// <summary>The sum of non-negative counters, at most <see cref="long.MaxValue"/> (a negative one counts as 0).</summary>
    internal static long SaturatedSum(IEnumerable<NodeSample> nodes, Func<NodeSample, long> counter)
    {
        var sum = 0L;
        foreach (var node in nodes)
        {
            var value = Math.Max(0, counter(node));
            sum = value > long.MaxValue - sum ? long.MaxValue : sum + value;
        }

        return sum;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    SampleNow();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failing sample must not stop the host (docs/identity.md, "Operator input"): logged, the next tick tries again.
                    LogSampleFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    [LoggerMessage(EventId = LogEvents.SampleFailed, Level = LogLevel.Error, Message = "A dashboard sample failed; the next one is taken in a second")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
