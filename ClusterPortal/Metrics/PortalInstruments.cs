using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ClusterPortal.Metrics;

/// <summary>
/// The node's counters (docs/architecture.md §6), created through <see cref="IMeterFactory"/> and exported
/// with OpenTelemetry (Prometheus at <c>/metrics</c>, OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
/// set). Every measurement carries the <c>node</c> tag.
/// </summary>
public sealed class PortalInstruments : ClusterEngine.Membership.INodeTrafficSource
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "ClusterPortal";

    /// <summary>Instrument names.</summary>
    public static class Names
    {
        /// <summary>Item requests answered (any status).</summary>
        public const string Requests = "clusterportal.item.requests";

        /// <summary>Item answers with status 200 and a body.</summary>
        public const string Full = "clusterportal.item.full";

        /// <summary>Item answers 304 "use your cached copy".</summary>
        public const string NotModified = "clusterportal.item.not_modified";

        /// <summary>Item body bytes sent.</summary>
        public const string BytesSent = "clusterportal.item.bytes_sent";

        /// <summary>Item body bytes not sent thanks to a 304 (the size of the item the client kept).</summary>
        public const string BytesSaved = "clusterportal.item.bytes_saved";

        /// <summary>Item answers 200 sent as a delta (<c>Content-Encoding: dcz</c>, RFC 9842); also counted in <see cref="Full"/>.</summary>
        public const string Deltas = "clusterportal.item.deltas";

        /// <summary>Item body bytes not sent thanks to deltas (the item's size minus the delta's).</summary>
        public const string DeltaBytesSaved = "clusterportal.item.delta_bytes_saved";

        /// <summary>Client mirror syncs acknowledged by the alternate (docs/architecture.md §8); tag <c>policy</c>.</summary>
        public const string Syncs = "clusterportal.mirror.syncs";

        /// <summary>Client mirror syncs the alternate did not acknowledge (unreachable, refused).</summary>
        public const string SyncFailures = "clusterportal.mirror.sync_failures";

        /// <summary>Mirror entries sent to alternates.</summary>
        public const string EntriesSent = "clusterportal.mirror.entries_sent";

        /// <summary>Estimated <c>MirrorSync</c> bytes sent to alternates.</summary>
        public const string SyncBytesSent = "clusterportal.mirror.sync_bytes_sent";

        /// <summary>Sync lag: from a client's oldest change the alternate lacked to the alternate's acknowledgement, seconds.</summary>
        public const string SyncLag = "clusterportal.mirror.sync_lag";

        /// <summary>Clients whose alternate lacks some of their mirror's changes now (gauge).</summary>
        public const string ClientsBehind = "clusterportal.mirror.clients_behind";

        /// <summary>Runs of the periodic sync job (<c>Mirror:SyncPolicy=Periodic</c>).</summary>
        public const string PeriodicRuns = "clusterportal.mirror.periodic_runs";

        /// <summary>
        /// Backplane propagation: from a peer's decision of an assignment change (the wall-clock part of its version, a
        /// hybrid-clock time in milliseconds) to this node having merged the peer's <c>AssignmentChanged</c> broadcast,
        /// seconds. Includes the clock difference between the two hosts (none on one host); negative differences count as 0.
        /// </summary>
        public const string AssignmentPropagation = "clusterportal.assignment.propagation";
    }

    private readonly Counter<long> _syncs;
    private readonly Counter<long> _syncFailures;
    private readonly Counter<long> _entriesSent;
    private readonly Counter<long> _syncBytes;
    private readonly Histogram<double> _syncLag;
    private readonly Counter<long> _periodicRuns;
    private readonly Histogram<double> _propagation;
    private long _totalSyncs, _totalSyncFailures, _totalEntriesSent, _totalSyncBytes, _totalPeriodicRuns;

    private long _totalDeltas;
    private long _totalDeltaSaved;
    private readonly KeyValuePair<string, object?> _node;
    private long _totalRequests, _totalFull, _totalNotModified, _totalSent, _totalSaved;

    public PortalInstruments(IMeterFactory meters, ClusterEngine.ClusterState state, ClusterEngine.Mirroring.MirrorStore? mirrors = null)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _node = new("node", state.LocalNodeId);

        // The item counters are observed from the totals when exported, not recorded per request: an item answer costs
        // one interlocked add per total instead of a tagged measurement through every listener.
        Observe(meter, Names.Requests, () => Interlocked.Read(ref _totalRequests), "{request}", "Item requests answered");
        Observe(meter, Names.Full, () => Interlocked.Read(ref _totalFull), "{response}", "Item answers 200 with the body");
        Observe(meter, Names.NotModified, () => Interlocked.Read(ref _totalNotModified), "{response}", "Item answers 304 Not Modified");
        Observe(meter, Names.BytesSent, () => Interlocked.Read(ref _totalSent), "By", "Item body bytes sent");
        Observe(meter, Names.BytesSaved, () => Interlocked.Read(ref _totalSaved), "By", "Item body bytes saved by 304 answers");
        Observe(meter, Names.Deltas, () => Interlocked.Read(ref _totalDeltas), "{response}", "Item answers 200 sent as a dcz delta");
        Observe(meter, Names.DeltaBytesSaved, () => Interlocked.Read(ref _totalDeltaSaved), "By", "Item body bytes saved by delta answers");
        _syncs = meter.CreateCounter<long>(Names.Syncs, "{sync}", "Client mirror syncs acknowledged by the alternate");
        _syncFailures = meter.CreateCounter<long>(Names.SyncFailures, "{sync}", "Client mirror syncs not acknowledged");
        _entriesSent = meter.CreateCounter<long>(Names.EntriesSent, "{entry}", "Mirror entries sent to alternates");
        _syncBytes = meter.CreateCounter<long>(Names.SyncBytesSent, "By", "Estimated MirrorSync bytes sent to alternates");
        _syncLag = meter.CreateHistogram<double>(Names.SyncLag, "s", "From the oldest unsynced change to the alternate's acknowledgement");
        _periodicRuns = meter.CreateCounter<long>(Names.PeriodicRuns, "{run}", "Runs of the periodic mirror sync job");
        _propagation = meter.CreateHistogram(Names.AssignmentPropagation, "s", "From a peer's decision of an assignment change to its merge here",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ClusterEngine.Backplane.BackplaneCallMetrics.Buckets }); // the backplane's bounds: ms-scale
        if (mirrors is not null)
        {
            meter.CreateObservableGauge(Names.ClientsBehind, () => new Measurement<int>(mirrors.UnsyncedClientCount, _node), "{client}",
                "Clients whose alternate lacks some mirror changes");
        }
    }

    /// <summary>Sync totals since start, for the dashboard and tests.</summary>
    public (long Syncs, long Failures, long EntriesSent, long BytesSent, long PeriodicRuns) SyncTotals =>
        (Interlocked.Read(ref _totalSyncs), Interlocked.Read(ref _totalSyncFailures), Interlocked.Read(ref _totalEntriesSent),
         Interlocked.Read(ref _totalSyncBytes), Interlocked.Read(ref _totalPeriodicRuns));

    /// <summary>Counts what one sync (a job or an inline sync) sent and what the alternates acknowledged.</summary>
    /// <param name="report">The synchronizer's report.</param>
    /// <param name="policy">The policy that triggered it (tag).</param>
    public void Synced(ClusterEngine.Mirroring.Sync.MirrorSyncReport report, ClusterEngine.Mirroring.MirrorSyncPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(report);
        var tags = new TagList { _node, { "policy", policy.ToString() } };
        foreach (var result in report.Results)
        {
            if (result.Acknowledged)
            {
                _syncs.Add(1, tags);
                Interlocked.Increment(ref _totalSyncs);
            }
            else
            {
                _syncFailures.Add(1, tags);
                Interlocked.Increment(ref _totalSyncFailures);
            }

            _entriesSent.Add(result.EntriesSent, tags);
            Interlocked.Add(ref _totalEntriesSent, result.EntriesSent);
            _syncBytes.Add(result.BytesSent, tags);
            Interlocked.Add(ref _totalSyncBytes, result.BytesSent);
            if (result.Lag is { } lag)
            {
                _syncLag.Record(lag.TotalSeconds, tags);
            }
        }
    }

    /// <summary>
    /// A peer's live <c>AssignmentChanged</c> broadcast was merged at <paramref name="mergedAt"/>: records each change's
    /// propagation time (<see cref="Names.AssignmentPropagation"/>). Not for catch-up or anti-entropy merges, which carry
    /// changes decided long before.
    /// </summary>
    /// <param name="deltas">The changes the broadcast carried (as admitted).</param>
    /// <param name="mergedAt">When the merge finished.</param>
    public void BroadcastMerged(IReadOnlyList<ClusterEngine.Placement.AssignmentDelta> deltas, DateTimeOffset mergedAt)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        foreach (var delta in deltas)
        {
            if (ClusterEngine.HybridClock.WallTime(delta.Version.Counter) is { } decided)
            {
                _propagation.Record(Math.Max(0, (mergedAt - decided).TotalSeconds), _node);
            }
        }
    }

    /// <summary>One run of the periodic sync job.</summary>
    public void PeriodicRun() => Count(_periodicRuns, ref _totalPeriodicRuns, 1);

    /// <summary>Totals since start, for the dashboard and tests (the exporters read the instruments).</summary>
    public (long Requests, long Full, long NotModified, long BytesSent, long BytesSaved) Totals =>
        (Interlocked.Read(ref _totalRequests), Interlocked.Read(ref _totalFull), Interlocked.Read(ref _totalNotModified),
         Interlocked.Read(ref _totalSent), Interlocked.Read(ref _totalSaved));

    /// <inheritdoc />
    public ClusterEngine.Membership.NodeTraffic Current => new(Interlocked.Read(ref _totalRequests), Interlocked.Read(ref _totalNotModified),
        Interlocked.Read(ref _totalSent), Interlocked.Read(ref _totalSaved));

    /// <summary>A 200 with <paramref name="bodyBytes"/> bytes of body.</summary>
    public void SentFull(long bodyBytes)
    {
        Interlocked.Increment(ref _totalRequests);
        Interlocked.Increment(ref _totalFull);
        Interlocked.Add(ref _totalSent, bodyBytes);
    }

    /// <summary>Delta totals since start: answers sent as deltas and the body bytes they saved.</summary>
    public (long Deltas, long BytesSaved) DeltaTotals => (Interlocked.Read(ref _totalDeltas), Interlocked.Read(ref _totalDeltaSaved));

    /// <summary>A 200 sent as a delta of <paramref name="deltaBytes"/> bytes for an item of <paramref name="itemBytes"/>.</summary>
    public void SentDelta(long itemBytes, long deltaBytes)
    {
        SentFull(deltaBytes);
        Interlocked.Increment(ref _totalDeltas);
        Interlocked.Add(ref _totalDeltaSaved, itemBytes - deltaBytes);
    }

    /// <summary>A 304 that saved <paramref name="itemBytes"/> bytes.</summary>
    public void SentNotModified(long itemBytes)
    {
        Interlocked.Increment(ref _totalRequests);
        Interlocked.Increment(ref _totalNotModified);
        Interlocked.Add(ref _totalSaved, itemBytes);
    }

    /// <summary>Any other answer (an error).</summary>
    public void Other() => Interlocked.Increment(ref _totalRequests);

    private void Observe(Meter meter, string name, Func<long> total, string unit, string description) =>
        meter.CreateObservableCounter(name, () => new Measurement<long>(total(), _node), unit, description);

    private void Count(Counter<long> counter, ref long total, long value)
    {
        counter.Add(value, _node);
        Interlocked.Add(ref total, value);
    }
}
