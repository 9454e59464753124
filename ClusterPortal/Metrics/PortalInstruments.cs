using System.Diagnostics.Metrics;

namespace ClusterPortal.Metrics;

/// <summary>
/// The node's counters (issue 3, item 5), created through <see cref="IMeterFactory"/> and exported
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
    }

    private readonly Counter<long> _requests;
    private readonly Counter<long> _full;
    private readonly Counter<long> _notModified;
    private readonly Counter<long> _bytesSent;
    private readonly Counter<long> _bytesSaved;
    private readonly KeyValuePair<string, object?> _node;
    private long _totalRequests, _totalFull, _totalNotModified, _totalSent, _totalSaved;

    public PortalInstruments(IMeterFactory meters, ClusterEngine.ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _node = new("node", state.LocalNodeId);
        _requests = meter.CreateCounter<long>(Names.Requests, "{request}", "Item requests answered");
        _full = meter.CreateCounter<long>(Names.Full, "{response}", "Item answers 200 with the body");
        _notModified = meter.CreateCounter<long>(Names.NotModified, "{response}", "Item answers 304 Not Modified");
        _bytesSent = meter.CreateCounter<long>(Names.BytesSent, "By", "Item body bytes sent");
        _bytesSaved = meter.CreateCounter<long>(Names.BytesSaved, "By", "Item body bytes saved by 304 answers");
    }

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
        Count(_requests, ref _totalRequests, 1);
        Count(_full, ref _totalFull, 1);
        Count(_bytesSent, ref _totalSent, bodyBytes);
    }

    /// <summary>A 304 that saved <paramref name="itemBytes"/> bytes.</summary>
    public void SentNotModified(long itemBytes)
    {
        Count(_requests, ref _totalRequests, 1);
        Count(_notModified, ref _totalNotModified, 1);
        Count(_bytesSaved, ref _totalSaved, itemBytes);
    }

    /// <summary>Any other answer (an error).</summary>
    public void Other() => Count(_requests, ref _totalRequests, 1);

    private void Count(Counter<long> counter, ref long total, long value)
    {
        counter.Add(value, _node);
        Interlocked.Add(ref total, value);
    }
}
